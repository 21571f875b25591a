import Testing

@testable import InferenceCore

@Suite("Logit scans")
struct LogitScanTests {
    /// `LogitScan` (the C kernel where the CPU has it) and the scalar reference on `row`.
    static func both(_ row: [Float]) -> (LogitScan, LogitScan) {
        row.withUnsafeBufferPointer { (LogitScan($0), LogitScan(scalar: $0)) }
    }

    @Test("The scan equals the scalar reference on random rows of every length up to 40 and a vocabulary's")
    func randomRows() {
        for count in Array(0...40) + [151_936] {
            let row = KernelTests.values(count, seed: UInt64(count) + 5)
            let (scan, reference) = Self.both(row)
            #expect(scan == reference, "length \(count)")
            #expect(scan.allFinite)
            if count > 0 {
                #expect(scan.maximum == row.max()!)
                #expect(scan.firstMaximum == row.firstIndex(of: row.max()!)!)
            }
        }
    }

    @Test("Ties go to the first occurrence, whichever lane holds it", arguments: [0, 3, 7, 8, 13, 31, 32, 37])
    func ties(first: Int) {
        var row = [Float](repeating: -2, count: 41)
        for i in stride(from: first, to: row.count, by: 5) { row[i] = 4 }
        let (scan, reference) = Self.both(row)
        #expect(scan == reference)
        #expect(scan.firstMaximum == first)
        #expect(scan.maximum == 4)
    }

    @Test("A row of minus infinity answers index 0; NaN or infinity anywhere makes it not finite")
    func specials() {
        let low = [Float](repeating: -.infinity, count: 19)
        let (scan, reference) = Self.both(low)
        #expect(scan.firstMaximum == 0 && reference.firstMaximum == 0)
        #expect(!scan.allFinite && !reference.allFinite)
        for bad in [Float.nan, .infinity, -.infinity] {
            for at in [0, 5, 8, 16, 23] {
                var row = KernelTests.values(24, seed: 9)
                row[at] = bad
                #expect(!Self.both(row).0.allFinite, "\(bad) at \(at)")
            }
        }
    }

    @Test("Greedy sampling from the scan equals sampling from the processed copy, bans and bias included")
    func greedyFastPath() {
        let row: [Float] = [1.0, 3.0, 2.5, 0.5, 3.0, -1.0, 0.0, 2.0]
        // Plain greedy: the scan's first maximum, and the same log-probability as computed from scratch.
        var plain = Sampler(SamplingParameters())
        let fast = row.withUnsafeBufferPointer { plain.sample($0) }
        let slow = row.withUnsafeBufferPointer { Sampler.logprobs(of: 1, in: $0, top: 0) }
        #expect(fast.token == 1 && fast.logprob == slow.logprob)
        // The first maximum banned: the next maximum (the copy path).
        var banning = SamplingParameters()
        banning.ignoreEOS = true
        var banned = Sampler(banning, endOfGeneration: [1])
        #expect(row.withUnsafeBufferPointer { banned.sample($0).token } == 4)
        // A ban that the first maximum escapes changes nothing.
        var other = Sampler(banning, endOfGeneration: [2])
        #expect(row.withUnsafeBufferPointer { other.sample($0).token } == 1)
        // Bias moves the choice.
        var biased = SamplingParameters()
        biased.logitBias = [6: 5]
        var withBias = Sampler(biased)
        #expect(row.withUnsafeBufferPointer { withBias.sample($0).token } == 6)
    }
}
