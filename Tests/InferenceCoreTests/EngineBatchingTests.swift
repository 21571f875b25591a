import BatchgateTestSupport
import Testing

@testable import InferenceCore

/// A sequence's greedy tokens must not depend on what else is in the batch.
@Suite("Engine batching", .enabled(if: EngineTestSupport.haveVocabs))
struct EngineBatchingTests {
    @Test("One sequence alone and among 15 others gives identical greedy tokens", arguments: ["f32", "f16", "q8_0"])
    func aloneVersusBatched(type: String) throws {
        let path = try EngineTestSupport.tinyLlama(type: type)
        let weights = try ModelWeights(path: path)
        let prompt: [Int32] = [1, 450, 496, 173, 170, 299, 432, 172, 97]
        let count = 12
        var options = EngineOptions()
        options.blasMinimumRows = 16
        let alone = try WorkerSupport.greedy(Engine(weights: weights, options: options), prompt, count: count)

        let engine = Engine(weights: weights, options: options)
        var sampling = SamplingParameters()
        sampling.maxTokens = 64
        sampling.ignoreEOS = true
        // Step 1: eight others prefill prompts of different lengths.
        let others: [SequenceID] = Array(100..<115)
        func otherPrompt(_ s: SequenceID) -> [Int32] {
            (0..<Int(s % 7 + 3)).map { Int32(($0 * 37 + Int(s) * 11) % EngineTestSupport.tinyVocabulary) }
        }
        _ = try engine.step(
            StepBatch(admits: others.prefix(8).map { .init(sequence: $0, tokens: otherPrompt($0), sampling: sampling) })
        )
        // Step 2: the eight decode while the sequence's first chunk and the other seven prefill (one in two chunks).
        var admits: [StepBatch.Admit] = [
            .init(sequence: 1, tokens: Array(prompt.prefix(5)), isLastChunk: false, sampling: sampling)
        ]
        admits += others.dropFirst(8).map { .init(sequence: $0, tokens: otherPrompt($0), sampling: sampling) }
        _ = try engine.step(StepBatch(admits: admits, decodes: Array(others.prefix(8))))
        var tokens: [Int32] = []
        let last = try engine.step(
            StepBatch(admits: [.init(sequence: 1, position: 5, tokens: Array(prompt.dropFirst(5)))], decodes: others))
        tokens.append(try #require(last.results.first { $0.sequence == 1 }).token.token)
        while tokens.count < count {
            let output = try engine.step(StepBatch(decodes: [1] + others))
            tokens.append(try #require(output.results.first { $0.sequence == 1 }).token.token)
        }
        #expect(tokens == alone)
    }
}
