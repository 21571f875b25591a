import CKernels
import GGUF
import Testing

@testable import InferenceCore

/// The AVX-512 decode kernels (`decode_gemv.h`, one to four activation rows): bit for bit the AVX2 driver's results,
/// which `KQuantKernelTests` holds to the Swift references of ggml's order.
@Suite("AVX-512 decode GEMV")
struct DecodeGEMVTests {
    /// Whether this CPU runs the AVX-512 variant (asked once; the variant in force is put back).
    static let avx512: Bool = {
        guard NativeKernels.available else { return false }
        let before = bg_kernel_variant()
        defer { _ = bg_select_kernel_variant(before) }
        return bg_select_kernel_variant(Int32(BG_VARIANT_AVX512)) == Int32(BG_VARIANT_AVX512)
    }()

    /// The products of weight rows `range` with every prepared activation row under kernel `variant` (NaN where not
    /// written).
    static func product(
        _ type: GGMLType, _ bytes: [UInt8], rows: Int, columns: Int, prepared: PreparedActivations, range: Range<Int>,
        variant: Int32
    ) -> [Float] {
        _ = bg_select_kernel_variant(variant)
        return KQuantKernelTests.product(
            type, bytes, rows: rows, columns: columns, prepared: prepared, range: range, native: true)
    }

    // On a host without AVX-512 (F, BW, VL, DQ, VNNI) the decode kernels never run: the test reports itself skipped.
    @Test(
        "Decode kernels equal the AVX2 driver bit for bit: 1-4 activation rows, odd row ranges and block counts, extremes",
        .enabled(if: DecodeGEMVTests.avx512, "needs AVX-512 F/BW/VL/DQ/VNNI"), arguments: KQuantKernelTests.types)
    func equalsAVX2(type: GGMLType) {
        let before = bg_kernel_variant()
        defer { _ = bg_select_kernel_variant(before) }
        // 16 blocks form one batch of scales in the kernels: counts around it, and odd ones.
        let blockCounts = type.blockSize == 32 ? [1, 3, 13, 16, 17, 33] : [1, 2, 3, 5, 16, 17]
        let rows = 11
        for (t, blocks) in blockCounts.enumerated() {
            let columns = blocks * type.blockSize
            for count in 1...4 {
                let seed = UInt64(7000 + 10 * t + count)
                let bytes = KQuantKernelTests.weights(
                    type, rows: rows, columns: columns, seed: seed, extremes: (t + count) % 2 == 1)
                let x = KQuantKernelTests.activations(count: count, columns: columns, seed: seed + 1)
                let prepared = PreparedActivations(
                    x, count: count, columns: columns, type: ActivationType(weight: type))
                for range in [0..<rows, 3..<10, 5..<6, 1..<8] {
                    let avx2 = Self.product(
                        type, bytes, rows: rows, columns: columns, prepared: prepared, range: range,
                        variant: Int32(BG_VARIANT_AVX2))
                    let wide = Self.product(
                        type, bytes, rows: rows, columns: columns, prepared: prepared, range: range,
                        variant: Int32(BG_VARIANT_AVX512))
                    for i in 0..<count {
                        for r in 0..<rows {
                            let (a, w) = (avx2[i * rows + r], wide[i * rows + r])
                            if range.contains(r) {
                                #expect(
                                    a.bitPattern == w.bitPattern,
                                    "\(blocks) blocks, rows \(range), activation \(i) of \(count), row \(r): \(a) vs \(w)"
                                )
                            } else {
                                #expect(w.isNaN, "row \(r) outside \(range) written")
                            }
                        }
                    }
                }
            }
        }
    }

    @Test(
        "Decode kernels cover matrices wider than one batch of blocks, and rows split across calls as threads do",
        .enabled(if: DecodeGEMVTests.avx512, "needs AVX-512 F/BW/VL/DQ/VNNI"), arguments: [GGMLType.q4_0, .q6_K])
    func splitRows(type: GGMLType) {
        let before = bg_kernel_variant()
        defer { _ = bg_select_kernel_variant(before) }
        let rows = 37
        let columns = type.blockSize == 32 ? 2048 : 4096
        let bytes = KQuantKernelTests.weights(type, rows: rows, columns: columns, seed: 99)
        let x = KQuantKernelTests.activations(count: 1, columns: columns, seed: 100)
        let prepared = PreparedActivations(x, count: 1, columns: columns, type: ActivationType(weight: type))
        let avx2 = Self.product(
            type, bytes, rows: rows, columns: columns, prepared: prepared, range: 0..<rows,
            variant: Int32(BG_VARIANT_AVX2))
        var split = [Float](repeating: .nan, count: rows)
        for range in [0..<9, 9..<10, 10..<37] {
            let part = Self.product(
                type, bytes, rows: rows, columns: columns, prepared: prepared, range: range,
                variant: Int32(BG_VARIANT_AVX512))
            for r in range { split[r] = part[r] }
        }
        for r in 0..<rows {
            #expect(avx2[r].bitPattern == split[r].bitPattern, "row \(r): \(avx2[r]) vs \(split[r])")
        }
    }
}
