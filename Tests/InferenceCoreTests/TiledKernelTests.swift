import CKernels
import GGUF
import Testing

@testable import InferenceCore

/// The tiled-order kernels of the super-block types (`bg_<type>_matmul_tiled`, llama.cpp's order for prompt chunks):
/// the AVX2 and AVX-512 variants against the scalar references bit for bit.
@Suite("Tiled-order kernels")
struct TiledKernelTests {
    /// The types with tiled-order kernels.
    static let types: [GGMLType] = [.q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_xs]

    /// Whether this CPU runs the AVX-512 variant (checked without changing the variant in force).
    static let avx512 = NativeKernels.available && bg_avx512_available() != 0

    /// The kernels of `type`: each variant and the scalar reference.
    static func kernels(_ type: GGMLType) -> (
        avx2: NativeKernels.BlockKernel, avx512: NativeKernels.BlockKernel, reference: NativeKernels.BlockKernel
    ) {
        switch type {
        case .q2_K: (bg_q2_k_matmul_tiled_avx2, bg_q2_k_matmul_tiled_avx512, bg_q2_k_matmul_tiled_reference)
        case .q3_K: (bg_q3_k_matmul_tiled_avx2, bg_q3_k_matmul_tiled_avx512, bg_q3_k_matmul_tiled_reference)
        case .q4_K: (bg_q4_k_matmul_tiled_avx2, bg_q4_k_matmul_tiled_avx512, bg_q4_k_matmul_tiled_reference)
        case .q5_K: (bg_q5_k_matmul_tiled_avx2, bg_q5_k_matmul_tiled_avx512, bg_q5_k_matmul_tiled_reference)
        case .q6_K: (bg_q6_k_matmul_tiled_avx2, bg_q6_k_matmul_tiled_avx512, bg_q6_k_matmul_tiled_reference)
        default: (bg_iq4_xs_matmul_tiled_avx2, bg_iq4_xs_matmul_tiled_avx512, bg_iq4_xs_matmul_tiled_reference)
        }
    }

    /// Weight rows `range` × every prepared activation row by `kernel`, in `MatrixMultiply`'s layout (NaN where not
    /// written).
    static func product(
        _ kernel: NativeKernels.BlockKernel, _ type: GGMLType, _ bytes: [UInt8], rows: Int, columns: Int,
        prepared: PreparedActivations, range: Range<Int>
    ) -> [Float] {
        var out = [Float](repeating: .nan, count: prepared.count * rows)
        bytes.withUnsafeBytes { raw in
            let m = WeightMatrix(type: type, rows: rows, columns: columns, base: raw.baseAddress!)
            out.withUnsafeMutableBufferPointer { o in
                NativeKernels.decoded(kernel, m, rows: range, activations: prepared, output: o.baseAddress!)
            }
        }
        return out
    }

    /// `kernel` equals the reference bit for bit for activation counts 1…64, one to nine blocks, odd weight-row
    /// ranges and (every other count) extreme scales, and writes nothing outside the range.
    static func checkAgainstReference(_ kernel: NativeKernels.BlockKernel, _ type: GGMLType, variant: String) {
        let reference = kernels(type).reference
        let rows = 37
        for (t, blocks) in [1, 3, 9].enumerated() {
            let columns = blocks * 256
            for count in [1, 5, 8, 16, 17, 33, 64] {
                let seed = UInt64(1000 * t + count)
                let bytes = KQuantKernelTests.weights(
                    type, rows: rows, columns: columns, seed: seed, extremes: count % 2 == 1)
                let x = KQuantKernelTests.activations(count: count, columns: columns, seed: seed + 11)
                let prepared = PreparedActivations(x, count: count, columns: columns, type: .q8_K)
                for range in [0..<rows, 3..<36, 16..<33, 5..<6] {
                    let got = product(
                        kernel, type, bytes, rows: rows, columns: columns, prepared: prepared, range: range)
                    let want = product(
                        reference, type, bytes, rows: rows, columns: columns, prepared: prepared, range: range)
                    var mismatches = 0
                    for i in 0..<count {
                        for r in 0..<rows {
                            let (g, w) = (got[i * rows + r], want[i * rows + r])
                            if range.contains(r) {
                                if g.bitPattern != w.bitPattern { mismatches += 1 }
                                if mismatches == 1 && g.bitPattern != w.bitPattern {
                                    Issue.record(
                                        "\(variant) \(type), \(blocks) blocks, \(count) rows, range \(range), pair (\(r), \(i)): \(g) vs \(w)"
                                    )
                                }
                            } else if !g.isNaN {
                                Issue.record("\(variant) \(type): row \(r) outside \(range) written")
                            }
                        }
                    }
                    #expect(mismatches == 0, "\(variant) \(type), \(blocks) blocks, \(count) rows, range \(range)")
                }
            }
        }
    }

    @Test(
        "AVX2 variant equals the scalar reference bit for bit (counts 1…64, odd row ranges, extreme scales)",
        .enabled(if: NativeKernels.available), arguments: types)
    func avx2MatchesReference(type: GGMLType) {
        Self.checkAgainstReference(Self.kernels(type).avx2, type, variant: "avx2")
    }

    // Skipped (reported as such) on hosts without AVX-512 F/BW/VL/DQ/VNNI, where the AVX-512 variant cannot run.
    @Test(
        "AVX-512 variant equals the scalar reference bit for bit (counts 1…64, odd row ranges, extreme scales)",
        .enabled(if: avx512, "needs AVX-512 F, BW, VL, DQ and VNNI"), arguments: types)
    func avx512MatchesReference(type: GGMLType) {
        Self.checkAgainstReference(Self.kernels(type).avx512, type, variant: "avx512")
    }

    @Test(
        "The dispatching kernel and NativeKernels.tiledKernel run the variant in force with the same bits",
        .enabled(if: NativeKernels.available), arguments: types)
    func dispatchMatches(type: GGMLType) throws {
        let kernel = try #require(NativeKernels.tiledKernel(type))
        let rows = 21
        let columns = 512
        let bytes = KQuantKernelTests.weights(type, rows: rows, columns: columns, seed: 3)
        let x = KQuantKernelTests.activations(count: 9, columns: columns, seed: 4)
        let prepared = PreparedActivations(x, count: 9, columns: columns, type: .q8_K)
        let got = Self.product(kernel, type, bytes, rows: rows, columns: columns, prepared: prepared, range: 0..<rows)
        let want = Self.product(
            Self.kernels(type).reference, type, bytes, rows: rows, columns: columns, prepared: prepared,
            range: 0..<rows)
        let mismatches = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(mismatches == 0, "\(type): \(mismatches) of \(got.count) pairs differ from the reference")
        #expect(NativeKernels.tiledKernel(.q4_0) == nil && NativeKernels.tiledKernel(.q8_0) == nil)
    }

    @Test(
        "The tiled order is not vec_dot's: on random data some pairs differ from the decoded-row kernel",
        .enabled(if: NativeKernels.available))
    func orderDiffersFromVecDot() throws {
        // Guards the tests above against a reference that silently became vec_dot's order.
        let type = GGMLType.q4_K
        let rows = 16
        let columns = 2048
        let bytes = KQuantKernelTests.weights(type, rows: rows, columns: columns, seed: 8)
        let x = KQuantKernelTests.activations(count: 8, columns: columns, seed: 9)
        let prepared = PreparedActivations(x, count: 8, columns: columns, type: .q8_K)
        let tiled = Self.product(
            Self.kernels(type).reference, type, bytes, rows: rows, columns: columns, prepared: prepared,
            range: 0..<rows)
        let vecDot = Self.product(
            try #require(NativeKernels.decodedKernel(type)), type, bytes, rows: rows, columns: columns,
            prepared: prepared, range: 0..<rows)
        let differing = zip(tiled, vecDot).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing > 0)
        for (a, b) in zip(tiled, vecDot) { #expect(abs(a - b) <= 1e-3 * max(abs(a), abs(b), 1)) }
    }
}
