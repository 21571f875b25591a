import CKernels
import Foundation
import Testing

@testable import InferenceCore

/// The eight-lane exponential behind SiLU, softmax and log-probabilities (ggml's `ggml_v_expf`), against libm
/// (skipped on CPUs without AVX2/FMA/F16C, where libm's `expf` is used directly). That it is ggml's to the bit shows in
/// the conformance test on SmolLM2, whose log-probabilities agree with llama.cpp's within 1.2e-6.
@Suite("Exponential kernels", .enabled(if: NativeKernels.available))
struct ExponentialKernelTests {
    /// Values from -100 to 20 on an uneven grid, a count that is not a multiple of eight.
    static let inputs: [Float] = (0..<1203).map { -100 + Float($0) * 0.0997 }

    @Test("e^x is within two ulps of libm where it is normal, 0 below -104; the sum is ggml's: eights in float")
    func softmaxExponentials() {
        var values = Self.inputs
        let sum = bg_softmax_exp(&values, values.count, 0)
        for (x, e) in zip(Self.inputs, values) {
            let reference = expf(x)
            if x < -104 {
                #expect(e == 0, "e^\(x)")
            } else if x < -87 {
                // Subnormal results, as ggml's exponential gives them.
                #expect(abs(e - reference) <= 4 * Float.leastNonzeroMagnitude, "e^\(x): \(e) against \(reference)")
            } else {
                #expect(abs(e - reference) <= 2 * reference.ulp, "e^\(x): \(e) against \(reference)")
            }
        }
        // ggml_vec_soft_max_f32: each eight summed in float as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)), then in double.
        var expected: Double = 0
        for start in stride(from: 0, to: values.count, by: 8) {
            var l = [Float](repeating: 0, count: 8)
            for k in 0..<8 where start + k < values.count { l[k] = values[start + k] }
            expected += Double(((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7])))
        }
        #expect(sum == expected)
        let each = values.reduce(0.0) { $0 + Double($1) }
        #expect(abs(bg_sum_exp(Self.inputs, Self.inputs.count, 0) - each) <= 1e-12 * each)
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
