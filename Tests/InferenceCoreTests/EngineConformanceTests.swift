import BatchgateTestSupport
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
        // Every quantized type, as llama-quantize's mixes of it (made by `model create --type`, whose bytes equal
        // llama-quantize's): the SIMD kernels against llama.cpp's own.
        "llama-q4_0", "llama-q4_1", "llama-q5_0", "llama-q5_1", "llama-q2_k", "llama-q3_k_m", "llama-q4_k_s",
        "llama-q4_k_m", "llama-q5_k_s", "qwen2-q5_k_m", "llama-q6_k", "qwen2-iq4_nl", "llama-iq4_xs",
    ]

    static func golden(_ name: String) throws -> Golden? {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Golden/engine-\(name).json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try JSONDecoder().decode(Golden.self, from: data)
    }

    /// What the engine gave for one golden case: its greedy tokens and the log-probabilities of the recorded top
    /// tokens after the prompt.
    struct Outcome: Sendable {
        var tokens: [Int32]
        var logprobs: [Double]
    }

    /// Runs the engine on every case of `golden` (on a thread of its own: 26 models would hold Swift concurrency's
    /// two threads for a minute, and the scheduler's timing tests need them).
    static func run(_ golden: Golden) async throws -> [Outcome] {
        let create = golden.model_create
        let cases = golden.cases.map { ($0.prompt, $0.greedy.count, $0.top_logprobs.map { Int32($0[0]) }) }
        return try await onOwnThread {
            let path = try EngineTestSupport.model(create)
            let engine = Engine(weights: try ModelWeights(path: path), options: EngineOptions())
            var outcomes: [Outcome] = []
            for (prompt, count, topTokens) in cases {
                var sampling = SamplingParameters()
                sampling.maxTokens = count
                sampling.ignoreEOS = true
                let first = try engine.step(
                    StepBatch(admits: [.init(sequence: 1, tokens: prompt, sampling: sampling)], returnLogits: true))
                let result = first.results[0]
                let logits = result.logits ?? []
                let logprobs = topTokens.map { token in
                    Double(logits.withUnsafeBufferPointer { Sampler.logprobs(of: token, in: $0, top: 0).logprob })
                }
                var tokens = [result.token.token]
                while tokens.count < count {
                    tokens.append(try engine.step(StepBatch(decodes: [1])).results[0].token.token)
                }
                engine.release(1)
                outcomes.append(Outcome(tokens: tokens, logprobs: logprobs))
            }
            return outcomes
        }
    }

    @Test("Greedy tokens equal llama.cpp's; log-probabilities agree within 1e-3", arguments: goldenNames)
    func conformance(name: String) async throws {
        let golden = try #require(try Self.golden(name), "missing Golden/engine-\(name).json")
        let outcomes = try await Self.run(golden)
        // Every type within 1e-3 (the bar for F32): prompt chunks of 8 tokens or more take llama.cpp's
        // tiled order for the super-block types, as llama.cpp does.
        let tolerance = 1e-3
        for (c, (testCase, outcome)) in zip(golden.cases, outcomes).enumerated() {
            for (pair, ours) in zip(testCase.top_logprobs, outcome.logprobs) {
                #expect(abs(ours - pair[1]) < tolerance, "\(name) case \(c) token \(Int(pair[0]))")
            }
            // Every recorded token: 32 for F32 and F16, 16 for the quantized types.
            #expect(outcome.tokens == testCase.greedy, "\(name) case \(c)")
        }
    }
}
