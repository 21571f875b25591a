import InferenceCore

/// A fixed script of engine steps for comparing a model split into pipeline stages with the unsplit model: prefill
/// in one and in two chunks, decodes, a release, a sequence recomputed from position 0 (prompt plus its output, as
/// after a failure), a rewind. Every result keeps its token and the bit patterns of its logits.
public enum PipelineScript {
    /// One result of one step.
    public struct Produced: Equatable, Sendable {
        /// The sequence.
        public let sequence: SequenceID
        /// The token it sampled.
        public let token: Int32
        /// The bit patterns of its logits.
        public let logits: [UInt32]
    }

    /// Sampling for every sequence of the script: greedy, no end of sequence, 200 tokens at most.
    public static var sampling: SamplingParameters {
        var sampling = SamplingParameters()
        sampling.maxTokens = 200
        sampling.ignoreEOS = true
        return sampling
    }

    /// A prompt of `count` tokens below `vocabulary`, different for each `seed`.
    public static func prompt(_ seed: Int, _ count: Int, vocabulary: Int) -> [Int32] {
        (0..<count).map { Int32(($0 * 37 + seed * 101 + 3) % vocabulary) }
    }

    /// Runs the script on `engine` and returns every result of every step.
    public static func run(_ engine: Engine, vocabulary: Int) throws -> [[Produced]] {
        func prompt(_ seed: Int, _ count: Int) -> [Int32] { Self.prompt(seed, count, vocabulary: vocabulary) }
        let sampling = Self.sampling
        var all: [[Produced]] = []
        func run(_ batch: StepBatch) throws {
            var batch = batch
            batch.returnLogits = true
            let output = try engine.step(batch)
            all.append(
                output.results.map {
                    Produced(sequence: $0.sequence, token: $0.token.token, logits: ($0.logits ?? []).map(\.bitPattern))
                })
        }
        try run(
            StepBatch(admits: [
                .init(sequence: 1, tokens: prompt(1, 9), sampling: sampling),
                .init(sequence: 2, tokens: prompt(2, 5), isLastChunk: false, sampling: sampling),
                .init(sequence: 3, tokens: prompt(3, 3), sampling: sampling),
            ]))
        try run(StepBatch(admits: [.init(sequence: 2, position: 5, tokens: prompt(4, 6))], decodes: [1, 3]))
        for _ in 0..<4 { try run(StepBatch(decodes: [1, 2, 3])) }
        // 3 leaves; 4 arrives; 1 is recomputed from scratch (prompt plus what it generated) as after a failure.
        let regenerated = prompt(1, 9) + all.compactMap { $0.first { $0.sequence == 1 }?.token }
        try run(
            StepBatch(
                admits: [
                    .init(sequence: 4, tokens: prompt(5, 17), sampling: sampling),
                    .init(sequence: 1, tokens: regenerated, sampling: sampling),
                ], decodes: [2], releases: [3]))
        for _ in 0..<3 { try run(StepBatch(decodes: [1, 2, 4])) }
        // 2 rewinds to position 8 and takes a different continuation.
        try run(StepBatch(admits: [.init(sequence: 2, position: 8, tokens: prompt(6, 4))], decodes: [1, 4]))
        for _ in 0..<2 { try run(StepBatch(decodes: [1, 2, 4])) }
        return all
    }
}
