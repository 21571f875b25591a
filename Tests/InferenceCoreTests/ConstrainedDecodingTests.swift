import BatchgateTestSupport
import Foundation
import GGUF
import Testing
import Tokenizers

@testable import InferenceCore

/// Structured output in the engine: a sequence with an output constraint samples only tokens its grammar allows,
/// stops when the grammar is complete, and its outputs validate under the schema (checked with jsonschema).
@Suite("Constrained decoding")
struct ConstrainedDecodingTests {
    /// A tiny random model on the first 512 llama-spm tokens (the byte tokens among them can spell anything).
    static func engine() throws -> (Engine, Tokenizer, String) {
        let path = try WorkerSupport.tinyModel()
        let weights = try ModelWeights(path: path)
        var options = EngineOptions()
        options.threads = 1
        options.kvCacheMiB = 8
        return (Engine(weights: weights, options: options), try Tokenizer(file: weights.file), path)
    }

    /// Runs `sampling` on a short prompt to the end; returns the generated tokens and the finish reason.
    static func generate(_ engine: Engine, _ sampling: SamplingParameters, sequence: SequenceID) throws -> (
        [Int32], FinishReason?
    ) {
        var output = try engine.step(
            StepBatch(admits: [.init(sequence: sequence, tokens: [1, 450, 334], sampling: sampling)]))
        var tokens: [Int32] = []
        while true {
            let result = try #require(output.results.first)
            tokens.append(result.token.token)
            if let reason = result.finishReason {
                engine.release(sequence)
                return (tokens, reason)
            }
            output = try engine.step(StepBatch(decodes: [sequence]))
        }
    }

    @Test("sampled outputs at temperature 1 validate under their schemas, and a complete output stops the sequence")
    func outputsValidate() throws {
        let (engine, tokenizer, path) = try Self.engine()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let picked = SchemaSuite.schemas.filter {
            // Schemas whose outputs are bounded: a random model writes a free string until its context ends.
            [
                "enum of strings", "integer range", "number range", "string lengths", "refs", "date", "uuid",
                "pattern phone", "array exactly three", "definitions and enum (Pydantic v1 style)",
            ].contains($0.name)
        }
        try #require(picked.count == 10)
        var cases: [(schema: String, outputs: [String])] = []
        var sequence: SequenceID = 1
        for (name, schema) in picked {
            var outputs: [String] = []
            for seed in 1...6 {
                var sampling = SamplingParameters()
                sampling.temperature = 1
                sampling.seed = UInt64(seed)
                sampling.maxTokens = 400
                sampling.constraint = OutputConstraint(.jsonSchema(schema))
                let (tokens, reason) = try Self.generate(engine, sampling, sequence: sequence)
                sequence += 1
                #expect(
                    reason == .stop, "\(name), seed \(seed): \(reason.map(\.rawValue) ?? "-") after \(tokens.count)")
                let bytes = try tokens.flatMap { try tokenizer.piece(for: $0, renderSpecial: false) }
                outputs.append(String(decoding: bytes, as: UTF8.self))
            }
            cases.append((schema, outputs))
        }
        let problems = try SchemaValidator.problems(cases)
        for ((name, _), (found, (_, outputs))) in zip(picked, zip(problems, cases)) {
            for (index, error) in found.prefix(3) { Issue.record("\(name): \(outputs[index]) is invalid: \(error)") }
        }
    }

    @Test(
        "the token limit reached inside the JSON finishes with length; an invalid schema is refused before any change")
    func lengthAndRefusal() throws {
        let (engine, _, path) = try Self.engine()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        var sampling = SamplingParameters()
        sampling.temperature = 1
        sampling.maxTokens = 3
        sampling.constraint = OutputConstraint(
            .jsonSchema(#"{"type": "array", "items": {"type": "string"}, "minItems": 5}"#))
        let (tokens, reason) = try Self.generate(engine, sampling, sequence: 1)
        #expect(tokens.count == 3 && reason == .length)
        sampling.constraint = OutputConstraint(.jsonSchema(#"{"type": "string", "format": "hostname"}"#))
        #expect(throws: EngineError.self) {
            try engine.step(StepBatch(admits: [.init(sequence: 2, tokens: [1, 450], sampling: sampling)]))
        }
        #expect(engine.sequenceCount == 0)
    }

    @Test("a recomputed sequence continues its output where it was: the grammar reads the generated prefix first")
    func resumedPrefix() throws {
        let (engine, tokenizer, path) = try Self.engine()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let schema =
            ##"{"type": "object", "properties": {"a": {"type": "integer", "minimum": 100, "maximum": 999}, "b": {"enum": ["xyz", "uvw"]}, "c": {"type": "string", "format": "date"}}, "required": ["a", "b", "c"]}"##
        var sampling = SamplingParameters()
        sampling.constraint = OutputConstraint(.jsonSchema(schema))
        sampling.maxTokens = 200
        let (whole, reason) = try Self.generate(engine, sampling, sequence: 1)
        #expect(reason == .stop)
        try #require(whole.count > 4)
        // The same greedy run cut after 3 tokens and resumed with those tokens in the prompt continues identically.
        var resumed = sampling
        resumed.constraint = OutputConstraint(.jsonSchema(schema), generatedPrefix: 3)
        resumed.maxTokens = 200 - 3
        var output = try engine.step(
            StepBatch(admits: [.init(sequence: 2, tokens: [1, 450, 334] + whole.prefix(3), sampling: resumed)]))
        var rest: [Int32] = []
        while true {
            let result = try #require(output.results.first)
            rest.append(result.token.token)
            if result.finishReason != nil { break }
            output = try engine.step(StepBatch(decodes: [2]))
        }
        #expect(Array(whole.dropFirst(3)) == rest)
        let text = String(
            decoding: try whole.flatMap { try tokenizer.piece(for: $0, renderSpecial: false) }, as: UTF8.self)
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
        #expect((parsed as? [String: Any])?.keys.sorted() == ["a", "b", "c"], "\(text)")
    }
}
