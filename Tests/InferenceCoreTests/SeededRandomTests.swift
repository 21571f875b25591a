import Basics
import InferenceCore
import Testing

@Suite("Seeded random numbers")
struct SeededRandomTests {
    @Test("xoshiro256** repeats for a seed and differs between seeds")
    func repeatable() {
        var a = Xoshiro256StarStar(seed: 42)
        var b = Xoshiro256StarStar(seed: 42)
        var c = Xoshiro256StarStar(seed: 43)
        let xs = (0..<100).map { _ in a.next() }
        #expect(xs == (0..<100).map { _ in b.next() })
        #expect(xs != (0..<100).map { _ in c.next() })
    }

    @Test("SplitMix64 matches the reference sequence")
    func splitMixReference() {
        // First outputs of SplitMix64 seeded with 0 (Vigna's reference implementation).
        var s = SplitMix64(seed: 0)
        #expect(s.next() == 0xE220_A839_7B1D_CDAF)
        #expect(s.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test("Box–Muller samples have the asked-for mean and deviation")
    func gaussianMoments() {
        var g = GaussianGenerator(seed: 3)
        let n = 200_000
        var sum = 0.0
        var sumSquares = 0.0
        for _ in 0..<n {
            let x = Double(g.next(mean: 1, standardDeviation: 0.5))
            #expect(x.isFinite)
            sum += x
            sumSquares += x * x
        }
        let mean = sum / Double(n)
        let variance = sumSquares / Double(n) - mean * mean
        #expect(abs(mean - 1) < 0.01)
        #expect(abs(variance.squareRoot() - 0.5) < 0.01)
    }
}
