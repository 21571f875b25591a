import CKernels
import Foundation
import Testing

@testable import InferenceCore

/// The eight-lane exponential behind SiLU, softmax and log-probabilities, against libm (skipped on CPUs without
/// AVX2/FMA/F16C, where libm's `expf` is used directly).
@Suite("Exponential kernels", .enabled(if: NativeKernels.available))
struct ExponentialKernelTests {
    /// Values from -100 to 20 on an uneven grid, a count that is not a multiple of eight.
    static let inputs: [Float] = (0..<1203).map { -100 + Float($0) * 0.0997 }

    @Test("e^x is within two ulps of libm from -87 to 20, 0 below -87, and the sum is the sum of the values")
    func softmaxExponentials() {
        var values = Self.inputs
        let sum = bg_softmax_exp(&values, values.count, 0)
        var expected: Double = 0
        for (x, e) in zip(Self.inputs, values) {
            if x < -87 {
                #expect(e == 0, "e^\(x)")
                continue
            }
            let reference = expf(x)
            #expect(abs(e - reference) <= 2 * reference.ulp, "e^\(x): \(e) against \(reference)")
            expected += Double(e)
        }
        #expect(abs(sum - expected) <= 1e-12 * expected)
        #expect(bg_sum_exp(Self.inputs, Self.inputs.count, 0) == sum)
    }

    @Test("Minus infinity gives 0 and NaN stays NaN")
    func specialValues() {
        var values: [Float] = [-.infinity, 0, .nan]
        _ = bg_softmax_exp(&values, values.count, 0)
        #expect(values[0] == 0)
        #expect(values[1] == 1)
        #expect(values[2].isNaN)
    }

    @Test("SiLU times up is within a few ulps of libm, and an element's result does not depend on the range")
    func siluProduct() {
        let gate: [Float] = (0..<1001).map { -30 + Float($0) * 0.061 }
        let up: [Float] = gate.indices.map { 0.5 + Float($0 % 7) * 0.25 }
        var whole = gate
        bg_silu_mul(&whole, up, whole.count)
        for i in gate.indices {
            let reference = gate[i] / (1 + expf(-gate[i])) * up[i]
            #expect(abs(whole[i] - reference) <= 4 * max(reference.magnitude.ulp, Float.leastNormalMagnitude))
        }
        // The same elements computed in ranges that split them differently.
        var split = gate
        var start = 0
        for length in [3, 13, 8, 1, 200, 776] {
            split.withUnsafeMutableBufferPointer { g in
                up.withUnsafeBufferPointer { u in bg_silu_mul(g.baseAddress! + start, u.baseAddress! + start, length) }
            }
            start += length
        }
        #expect(start == gate.count)
        #expect(split == whole)
    }
}
