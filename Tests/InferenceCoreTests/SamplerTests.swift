import Foundation
import Testing

@testable import InferenceCore

@Suite("Sampling")
struct SamplerTests {
    static let logits: [Float] = [1.0, 3.0, 2.5, 0.5, 2.9, -1.0, 0.0, 2.0]

    func draws(_ p: SamplingParameters, _ n: Int = 200, logits: [Float] = SamplerTests.logits) -> [Int32] {
        var sampler = Sampler(p)
        return (0..<n).map { _ in logits.withUnsafeBufferPointer { sampler.sample($0).token } }
    }

    @Test("Greedy takes the first maximum")
    func greedy() {
        #expect(draws(SamplingParameters(), 3) == [1, 1, 1])
        #expect(Sampler.argmax([0, 2, 2, 1]) == 1)
    }

    @Test("The same seed gives the same draws; another seed differs")
    func seeded() {
        var p = SamplingParameters()
        p.temperature = 1
        p.seed = 42
        #expect(draws(p) == draws(p))
        var q = p
        q.seed = 43
        #expect(draws(p) != draws(q))
    }

    @Test("Plain temperature sampling follows the softmax (no cut, no sort)")
    func temperatureFrequencies() {
        var p = SamplingParameters()
        p.temperature = 1
        p.seed = 5
        let n = 20_000
        var counts = [Int](repeating: 0, count: Self.logits.count)
        for t in draws(p, n) { counts[Int(t)] += 1 }
        let weights = Self.logits.map { exp(Double($0)) }
        let total = weights.reduce(0, +)
        for (i, w) in weights.enumerated() {
            let expected = Double(n) * w / total
            // Five standard deviations of a binomial count.
            let sigma = (expected * (1 - w / total)).squareRoot()
            #expect(abs(Double(counts[i]) - expected) <= 5 * sigma + 1, "token \(i): \(counts[i]) vs \(expected)")
        }
    }

    @Test("The one-pass top-k equals sorting and cutting, ties and banned tokens included")
    func largest() {
        var random = Xoshiro256StarStar(seed: 9)
        for _ in 0..<50 {
            // Few distinct values, so there are many ties.
            var l = (0..<300).map { _ in Float(random.next() % 17) - 8 }
            l[Int(random.next() % 300)] = -.infinity
            let k = Int(random.next() % 40) + 1
            var sorted = l.indices.filter { l[$0] > -.infinity }
            sorted.sort { l[$0] > l[$1] || (l[$0] == l[$1] && $0 < $1) }
            #expect(Sampler.largest(k, of: l) == Array(sorted.prefix(k)))
        }
    }

    @Test("Top-k keeps only the k most likely")
    func topK() {
        var p = SamplingParameters()
        p.temperature = 5
        p.topK = 2
        #expect(Set(draws(p)) == [1, 4])
    }

    @Test("Top-p keeps the smallest set reaching p")
    func topP() {
        var p = SamplingParameters()
        p.temperature = 1
        p.topP = 0.3
        #expect(Set(draws(p)) == [1])
        p.topP = 0.55
        #expect(Set(draws(p)).isSubset(of: [1, 4]))
    }

    @Test("Min-p drops tokens far less likely than the best")
    func minP() {
        var p = SamplingParameters()
        p.temperature = 1
        p.minP = 0.5
        // exp(x - 3) ≥ 0.5 ⇔ x ≥ 3 - ln 2 ≈ 2.31: tokens 1, 2, 4.
        #expect(Set(draws(p, 400)) == [1, 2, 4])
    }

    @Test("Logit bias can ban and force tokens")
    func bias() {
        var p = SamplingParameters()
        p.logitBias = [1: -.infinity, 6: 10]
        #expect(draws(p, 2) == [6, 6])
    }

    @Test("Penalties push repeated tokens down")
    func penalties() {
        var p = SamplingParameters()
        p.repetitionPenalty = 2
        var sampler = Sampler(p)
        sampler.record([1])
        #expect(Self.logits.withUnsafeBufferPointer { sampler.sample($0).token } == 4)
        var f = SamplingParameters()
        f.frequencyPenalty = 0.2
        var s2 = Sampler(f)
        let seq = (0..<3).map { _ in Self.logits.withUnsafeBufferPointer { s2.sample($0).token } }
        // 1 (3.0) then 4 (2.9 > 2.8) then 1 (2.8 > 2.7).
        #expect(seq == [1, 4, 1])
        var pr = SamplingParameters()
        pr.presencePenalty = 1
        var s3 = Sampler(pr)
        let seq3 = (0..<3).map { _ in Self.logits.withUnsafeBufferPointer { s3.sample($0).token } }
        #expect(seq3 == [1, 4, 2])
    }

    @Test("Log-probabilities and top alternatives")
    func logprobs() {
        let r = Self.logits.withUnsafeBufferPointer { Sampler.logprobs(of: 2, in: $0, top: 3) }
        let sum = Self.logits.map { exp(Double($0)) }.reduce(0, +)
        #expect(abs(Double(r.logprob) - (2.5 - log(sum))) < 1e-5)
        #expect(r.topLogprobs.map(\.token) == [1, 4, 2])
    }

    @Test("ignoreEOS bans the end-of-generation tokens")
    func ignoreEOS() {
        var p = SamplingParameters()
        p.ignoreEOS = true
        var sampler = Sampler(p, endOfGeneration: [1])
        #expect(Self.logits.withUnsafeBufferPointer { sampler.sample($0).token } == 4)
    }

    @Test("Out-of-range parameters are refused")
    func validation() {
        var p = SamplingParameters()
        p.topP = 0
        #expect(throws: EngineError.self) { try p.validate() }
        p = SamplingParameters()
        p.temperature = -1
        #expect(throws: EngineError.self) { try p.validate() }
    }

    @Test("Seeded sampling in the engine does not depend on the batch", .enabled(if: EngineTestSupport.haveVocabs))
    func engineSeeded() throws {
        let weights = try ModelWeights(path: try EngineTestSupport.tinyLlama())
        var p = SamplingParameters()
        p.temperature = 1.5
        p.seed = 7
        p.maxTokens = 8
        p.ignoreEOS = true
        func run(withOthers: Bool) throws -> [Int32] {
            let engine = Engine(weights: weights)
            var other = p
            other.seed = 99
            var admits: [StepBatch.Admit] = [.init(sequence: 1, tokens: [1, 2, 3], sampling: p)]
            if withOthers { admits.append(.init(sequence: 2, tokens: [1, 5, 9, 11], sampling: other)) }
            var tokens = [try engine.step(StepBatch(admits: admits)).results[0].token.token]
            while tokens.count < 8 {
                let out = try engine.step(StepBatch(decodes: withOthers ? [2, 1] : [1]))
                tokens.append(try #require(out.results.first { $0.sequence == 1 }).token.token)
            }
            return tokens
        }
        #expect(try run(withOthers: false) == run(withOthers: true))
    }
}
