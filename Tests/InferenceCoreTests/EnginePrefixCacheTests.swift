import Testing

@testable import InferenceCore

/// The engine with prefix caching gives what it gives without: greedy tokens equal, log-probabilities within float
/// noise (a prompt computed in fewer rows may round differently in the matrix kernels of some instruction sets).
@Suite("Engine prefix cache", .enabled(if: EngineTestSupport.haveVocabs))
struct EnginePrefixCacheTests {
    static let tolerance: Float = 1e-3

    func makeEngine(prefixCaching: Bool) throws -> Engine {
        var options = EngineOptions()
        options.prefixCaching = prefixCaching
        options.kvCacheMiB = 4
        return Engine(weights: try ModelWeights(path: try EngineTestSupport.tinyLlama()), options: options)
    }

    /// Deterministic prompt tokens inside the tiny vocabulary.
    func prompt(_ count: Int, seed: Int) -> [Int32] {
        (0..<count).map { Int32(3 + ($0 * 131 + seed * 977) % (EngineTestSupport.tinyVocabulary - 3)) }
    }

    var sampling: SamplingParameters {
        var sampling = SamplingParameters()
        sampling.maxTokens = 64
        sampling.ignoreEOS = true
        return sampling
    }

    /// `count` greedy tokens of `prompt` as `sequence` and their log-probabilities, and the tokens the first step
    /// reused; the sequence is released at the end.
    func generate(_ engine: Engine, _ prompt: [Int32], count: Int, sequence: SequenceID = 1) throws -> (
        tokens: [Int32], logprobs: [Float], reused: Int
    ) {
        let first = try engine.step(
            StepBatch(admits: [.init(sequence: sequence, tokens: prompt, sampling: sampling)]))
        var tokens = [first.results[0].token]
        while tokens.count < count { tokens.append(try engine.step(StepBatch(decodes: [sequence])).results[0].token) }
        engine.release(sequence)
        return (tokens.map(\.token), tokens.map(\.logprob), first.prefixHits.first?.tokens ?? 0)
    }

    func expectClose(_ a: [Float], _ b: [Float]) {
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) { #expect(abs(x - y) <= Self.tolerance, "logprob \(x) vs \(y)") }
    }

    @Test("A cached prompt gives the tokens and log-probabilities of an uncached one", arguments: [47, 48, 49, 100])
    func cachedEqualsUncached(length: Int) throws {
        let p = prompt(length, seed: 1)
        let plain = try generate(try makeEngine(prefixCaching: false), p, count: 12)
        #expect(plain.reused == 0)
        let cached = try makeEngine(prefixCaching: true)
        let first = try generate(cached, p, count: 12)
        #expect(first.reused == 0)
        #expect(first.tokens == plain.tokens)
        let second = try generate(cached, p, count: 12, sequence: 2)
        // Whole blocks, and the last token is always computed.
        #expect(second.reused == (length - 1) / 16 * 16)
        #expect(second.tokens == plain.tokens)
        expectClose(second.logprobs, plain.logprobs)
        #expect(cached.kvCache.statistics.queries == 2)
        // The first run's generated tokens were cached too: its prompt plus output reuses more than the prompt.
        let longer = try generate(cached, p + first.tokens.dropLast(), count: 4, sequence: 3)
        #expect(longer.reused == (length + 10) / 16 * 16)
    }

    @Test("Two sequences sharing a prefix give the same tokens as each alone")
    func sharedPrefixTogether() throws {
        let system = prompt(64, seed: 2)
        let a = system + prompt(9, seed: 3)
        let b = system + prompt(21, seed: 4)
        let plain = try makeEngine(prefixCaching: false)
        let aloneA = try generate(plain, a, count: 10)
        let aloneB = try generate(plain, b, count: 10)

        let engine = try makeEngine(prefixCaching: true)
        _ = try engine.step(StepBatch(admits: [.init(sequence: 1, tokens: a, sampling: sampling)]))
        let joined = try engine.step(
            StepBatch(admits: [.init(sequence: 2, tokens: b, sampling: sampling)], decodes: [1]))
        #expect(joined.prefixHits == [.init(sequence: 2, position: 0, tokens: 64)])
        #expect(Array(engine.kvCache.table(of: 1).prefix(4)) == Array(engine.kvCache.table(of: 2).prefix(4)))
        var tokensA = [Int32](), logprobsA = [Float](), tokensB = [Int32](), logprobsB = [Float]()
        func take(_ output: StepOutput) {
            for r in output.results {
                if r.sequence == 1 { tokensA.append(r.token.token); logprobsA.append(r.token.logprob) }
                if r.sequence == 2 { tokensB.append(r.token.token); logprobsB.append(r.token.logprob) }
            }
        }
        // Sequence 1's first token came from the first step, which only it ran.
        tokensA.append(aloneA.tokens[0])
        logprobsA.append(aloneA.logprobs[0])
        take(joined)
        while tokensB.count < 10 {
            var decodes: [SequenceID] = [2]
            if tokensA.count < 10 { decodes.insert(1, at: 0) }
            // Sequence 1 ends first; releasing it must leave sequence 2's shared blocks alone.
            let output = try engine.step(StepBatch(decodes: decodes, releases: tokensA.count == 10 ? [1] : []))
            take(output)
        }
        #expect(tokensA == aloneA.tokens)
        #expect(tokensB == aloneB.tokens)
        expectClose(logprobsA, aloneA.logprobs)
        expectClose(logprobsB, aloneB.logprobs)
    }

    @Test("A preempted sequence resumed from its cached blocks gives the tokens it would have")
    func preemptedAndResumed() throws {
        let p = prompt(37, seed: 5)
        let whole = try generate(try makeEngine(prefixCaching: false), p, count: 24)

        let engine = try makeEngine(prefixCaching: true)
        let first = try engine.step(StepBatch(admits: [.init(sequence: 1, tokens: p, sampling: sampling)]))
        var tokens = [first.results[0].token.token]
        while tokens.count < 10 { tokens.append(try engine.step(StepBatch(decodes: [1])).results[0].token.token) }
        // Preempted: released, then admitted again with its prompt plus what it generated, as the scheduler does.
        var resumedSampling = sampling
        resumedSampling.maxTokens = 14
        let resumed = try engine.step(
            StepBatch(
                admits: [.init(sequence: 1, tokens: p + tokens, sampling: resumedSampling)], releases: [1]))
        #expect(resumed.prefixHits == [.init(sequence: 1, position: 0, tokens: 32)])
        tokens.append(resumed.results[0].token.token)
        while tokens.count < 24 { tokens.append(try engine.step(StepBatch(decodes: [1])).results[0].token.token) }
        #expect(tokens == whole.tokens)
    }

    @Test("A chunk wholly in the cache computes nothing; the next chunk goes on reusing")
    func chunked() throws {
        let p = prompt(70, seed: 6)
        let engine = try makeEngine(prefixCaching: true)
        let alone = try generate(engine, p, count: 6)
        let one = try engine.step(
            StepBatch(admits: [.init(sequence: 2, tokens: Array(p[..<32]), isLastChunk: false, sampling: sampling)]))
        #expect(one.results.isEmpty)
        #expect(one.prefixHits == [.init(sequence: 2, position: 0, tokens: 32)])
        let two = try engine.step(StepBatch(admits: [.init(sequence: 2, position: 32, tokens: Array(p[32...]))]))
        #expect(two.prefixHits == [.init(sequence: 2, position: 32, tokens: 32)])
        var tokens = [two.results[0].token.token]
        while tokens.count < 6 { tokens.append(try engine.step(StepBatch(decodes: [2])).results[0].token.token) }
        #expect(tokens == alone.tokens)
    }

    @Test("An engine whose cache is full of idle cached blocks gives them to new sequences")
    func fullCacheServesNewPrompts() throws {
        var options = EngineOptions()
        options.kvCacheMiB = 1
        let engine = Engine(weights: try ModelWeights(path: try EngineTestSupport.tinyLlama()), options: options)
        let total = engine.kvCache.blockCount
        var s: SequenceID = 1
        while engine.kvCache.cachedBlocks + 4 <= total {
            _ = try generate(engine, prompt(64, seed: Int(s)), count: 1, sequence: s)
            s += 1
        }
        #expect(engine.kvCache.cachedBlocks == total)
        #expect(engine.kvCache.freeBlocks == total)
        let out = try engine.step(
            StepBatch(admits: [.init(sequence: 1000, tokens: prompt(200, seed: 999), sampling: sampling)]))
        #expect(out.results.count == 1)
        #expect(engine.kvCache.statistics.evictions == 13)
        #expect(engine.kvCache.cachedBlocks == total - 13)
    }
}
