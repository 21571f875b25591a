import Foundation
import Testing

@testable import InferenceCore

/// The engine against llama.cpp: golden files from `scripts/make-engine-golden.py` record llama.cpp's greedy
/// continuations and next-token log-probabilities for random-weight models; the tests rebuild each model from its
/// recorded `model create` arguments and compare.
@Suite("Engine conformance with llama.cpp", .enabled(if: EngineTestSupport.haveVocabs))
struct EngineConformanceTests {
    struct Golden: Decodable {
        struct Case: Decodable {
            let prompt: [Int32]
            let greedy: [Int32]
            let top_logprobs: [[Double]]
        }

        let model: String
        let model_create: [String]
        let cases: [Case]
    }

    static let goldenNames = [
        "qwen2-f32", "qwen2-f16", "qwen2-q8_0", "llama-f32", "llama-f16", "llama-q8_0",
        // The original Qwen (fused attn_qkv), Qwen3 with heads wider than dim/heads, Llama 3.1's rope_freqs, YaRN.
        "qwen-f32", "qwen-f16", "qwen3-f32", "qwen3-f16", "llama-rope-freqs-f32", "qwen2-yarn-f32",
        "llama-head-dim-f32",
    ]

    static func golden(_ name: String) throws -> Golden? {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Golden/engine-\(name).json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try JSONDecoder().decode(Golden.self, from: data)
    }

    @Test("Greedy tokens equal llama.cpp's; F32 log-probabilities agree within 1e-3", arguments: goldenNames)
    func conformance(name: String) throws {
        let golden = try #require(try Self.golden(name), "missing Golden/engine-\(name).json")
        let path = try EngineTestSupport.model(golden.model_create)
        let engine = Engine(weights: try ModelWeights(path: path), options: EngineOptions())
        for (c, testCase) in golden.cases.enumerated() {
            var sampling = SamplingParameters()
            sampling.maxTokens = testCase.greedy.count
            sampling.ignoreEOS = true
            let first = try engine.step(
                StepBatch(
                    admits: [.init(sequence: 1, tokens: testCase.prompt, sampling: sampling)], returnLogits: true))
            let result = first.results[0]
            let logits = try #require(result.logits)
            // F32 within 1e-3 (the bar); other types are reported within a looser bound.
            let tolerance = name.hasSuffix("f32") ? 1e-3 : 2e-2
            for pair in testCase.top_logprobs {
                let token = Int32(pair[0])
                let ours = logits.withUnsafeBufferPointer { Sampler.logprobs(of: token, in: $0, top: 0).logprob }
                #expect(abs(Double(ours) - pair[1]) < tolerance, "\(name) case \(c) token \(token)")
            }
            var tokens = [result.token.token]
            // Every recorded token: 32 for F32 and F16, 16 for Q8_0.
            let expected = testCase.greedy
            while tokens.count < expected.count {
                tokens.append(try engine.step(StepBatch(decodes: [1])).results[0].token.token)
            }
            #expect(tokens == expected, "\(name) case \(c)")
            engine.release(1)
        }
    }
}
