import CKernels
import GGUF
import Testing

@testable import InferenceCore

/// The decoded-row kernels (Q4_0, Q5_0, Q5_1, IQ4_NL, Q2_K…Q6_K, IQ4_XS) and the Q8_K activation blocks: the Swift
/// references against a double-precision product of the dequantized values, and the C kernels against the Swift
/// references bit for bit.
@Suite("Quantized block kernels")
struct KQuantKernelTests {
    /// Every weight type with a decoded-row kernel.
    static let types: [GGMLType] = [.q4_0, .q5_0, .q5_1, .iq4_nl, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_xs]

    /// Byte offsets of a block's F16 scales (and minimums' scales) for `type`.
    static func halfOffsets(_ type: GGMLType) -> [Int] {
        switch type {
        case .q5_1, .q4_K, .q5_K: [0, 2]
        case .q2_K: [80, 82]
        case .q3_K: [108]
        case .q6_K: [208]
        default: [0]
        }
    }

    /// `rows` random weight rows of `columns` values: random bytes, with sane F16 scales, except that with
    /// `extremes` some blocks get a zero scale, the largest half (65504) or the smallest subnormal.
    static func weights(_ type: GGMLType, rows: Int, columns: Int, seed: UInt64, extremes: Bool = false) -> [UInt8] {
        var g = Xoshiro256StarStar(seed: seed)
        let blocks = rows * columns / type.blockSize
        var bytes = (0..<(blocks * type.blockBytes)).map { _ in UInt8.random(in: 0...255, using: &g) }
        for b in 0..<blocks {
            for (k, offset) in halfOffsets(type).enumerated() {
                var value = Float.random(in: 1e-4...0.02, using: &g)
                // K-quant d and dmin are positive in practice; the 32-blocks' scales take either sign.
                if type.blockSize == 32 && Bool.random(using: &g) { value = -value }
                var bits = HalfFloat.f16(from: value)
                if extremes {
                    switch (b + k) % 5 {
                    case 1: bits = 0
                    case 2: bits = 0x7bff
                    case 3: bits = 0x0001
                    default: break
                    }
                }
                bytes[b * type.blockBytes + offset] = UInt8(bits & 0xff)
                bytes[b * type.blockBytes + offset + 1] = UInt8(bits >> 8)
            }
        }
        return bytes
    }

    /// `count` activation rows of `columns` values; the second row (if any) has a zero block and a block of huge values.
    static func activations(count: Int, columns: Int, seed: UInt64) -> [Float] {
        var x = KernelTests.values(count * columns, seed: seed)
        if count > 1 {
            for j in 0..<min(columns, 256) { x[columns + j] = 0 }
            // Large, but not so large that a Q8_1 block's scaled sum overflows F16 (as it would in ggml too).
            if columns >= 512 { for j in 256..<512 { x[columns + j] *= 300 } }
        }
        return x
    }

    /// The products of weight rows `range` with every activation row, by the C kernel (`native`) or by the Swift
    /// reference, in `MatrixMultiply`'s layout (NaN where not written).
    static func product(
        _ type: GGMLType, _ bytes: [UInt8], rows: Int, columns: Int, prepared: PreparedActivations, range: Range<Int>,
        native: Bool
    ) -> [Float] {
        var out = [Float](repeating: .nan, count: prepared.count * rows)
        bytes.withUnsafeBytes { raw in
            let m = WeightMatrix(type: type, rows: rows, columns: columns, base: raw.baseAddress!)
            out.withUnsafeMutableBufferPointer { o in
                if native {
                    NativeKernels.decoded(
                        NativeKernels.decodedKernel(type)!, m, rows: range, activations: prepared,
                        output: o.baseAddress!)
                } else {
                    for r in range {
                        for i in 0..<prepared.count {
                            o[i * rows + r] = swiftDot(type, m.row(r), prepared.row(i), columns)
                        }
                    }
                }
            }
        }
        return out
    }

    /// The Swift reference for `type`.
    static func swiftDot(_ type: GGMLType, _ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        switch type {
        case .q4_0: DotProducts.q4_0(w, a, n)
        case .q5_0: DotProducts.q5_0(w, a, n)
        case .q5_1: DotProducts.q5_1(w, a, n)
        case .iq4_nl: DotProducts.iq4_nl(w, a, n)
        case .q2_K: DotProducts.q2_K(w, a, n)
        case .q3_K: DotProducts.q3_K(w, a, n)
        case .q4_K: DotProducts.q4_K(w, a, n)
        case .q5_K: DotProducts.q5_K(w, a, n)
        case .q6_K: DotProducts.q6_K(w, a, n)
        default: DotProducts.iq4_xs(w, a, n)
        }
    }

    @Test(
        "C kernels equal the Swift references bit for bit: every tile shape, odd block counts, extreme scales",
        .enabled(if: NativeKernels.available), arguments: types)
    func nativeMatchesSwift(type: GGMLType) {
        let blockCounts = type.blockSize == 32 ? [1, 3, 8, 13] : [1, 2, 3, 5]
        for (t, blocks) in blockCounts.enumerated() {
            let columns = blocks * type.blockSize
            let rows = 11
            for count in [1, 2, 3, 4, 5, 9] {
                let seed = UInt64(100 * t + count)
                let bytes = Self.weights(type, rows: rows, columns: columns, seed: seed, extremes: count % 2 == 1)
                let x = Self.activations(count: count, columns: columns, seed: seed + 7)
                let prepared = PreparedActivations(
                    x, count: count, columns: columns, type: ActivationType(weight: type))
                for range in [0..<rows, 3..<10] {
                    let native = Self.product(
                        type, bytes, rows: rows, columns: columns, prepared: prepared, range: range, native: true)
                    let swift = Self.product(
                        type, bytes, rows: rows, columns: columns, prepared: prepared, range: range, native: false)
                    for i in 0..<count {
                        for r in 0..<rows {
                            let (c, s) = (native[i * rows + r], swift[i * rows + r])
                            if range.contains(r) {
                                #expect(
                                    c.bitPattern == s.bitPattern,
                                    "\(columns) columns, row \(r) of \(count): \(c) vs \(s)")
                                #expect(c.isFinite)
                            } else {
                                #expect(c.isNaN, "row \(r) outside \(range) written")
                            }
                        }
                    }
                }
            }
        }
    }

    @Test(
        "AVX2 and AVX-512 variants equal each other and the Swift references bit for bit (wide tiles, odd rows)",
        .enabled(if: NativeKernels.available), arguments: types)
    func variantsAgree(type: GGMLType) {
        let before = bg_kernel_variant()
        defer { _ = bg_select_kernel_variant(before) }
        let wide = bg_select_kernel_variant(Int32(BG_VARIANT_AVX512)) == Int32(BG_VARIANT_AVX512)
        let blocks = type.blockSize == 32 ? 9 : 3
        let columns = blocks * type.blockSize
        let rows = 19
        for count in [5, 6, 7, 8, 13] {
            let seed = UInt64(500 + count)
            let bytes = Self.weights(type, rows: rows, columns: columns, seed: seed, extremes: count % 2 == 1)
            let x = Self.activations(count: count, columns: columns, seed: seed + 3)
            let prepared = PreparedActivations(x, count: count, columns: columns, type: ActivationType(weight: type))
            let swift = Self.product(
                type, bytes, rows: rows, columns: columns, prepared: prepared, range: 0..<rows, native: false)
            for variant in [BG_VARIANT_AVX2, BG_VARIANT_AVX512] where variant == BG_VARIANT_AVX2 || wide {
                _ = bg_select_kernel_variant(Int32(variant))
                for range in [0..<rows, 1..<18] {
                    let native = Self.product(
                        type, bytes, rows: rows, columns: columns, prepared: prepared, range: range, native: true)
                    for i in 0..<count {
                        for r in range {
                            let (c, s) = (native[i * rows + r], swift[i * rows + r])
                            #expect(
                                c.bitPattern == s.bitPattern,
                                "variant \(variant), \(count) rows, row \(r) of \(i): \(c) vs \(s)")
                        }
                    }
                }
            }
        }
    }

    /// The activation values a prepared row stands for (scale times int8), and for Q8_1 each block's scaled sum.
    static func dequantized(_ prepared: PreparedActivations, row: Int) -> (values: [Double], sums: [Double]) {
        let p = prepared.row(row)
        var values: [Double] = []
        var sums: [Double] = []
        switch prepared.type {
        case .q8_K:
            for b in 0..<(prepared.columns / 256) {
                let block = p + b * Q8KBlock.stride
                let d = Double(block.load(fromByteOffset: Q8KBlock.scale, as: Float.self))
                for j in 0..<256 { values.append(d * Double(block.load(fromByteOffset: j, as: Int8.self))) }
            }
        default:
            let offset = prepared.type == .q8_1 ? 8 : 4
            for b in 0..<(prepared.columns / 32) {
                let block = p + b * Q8Block.stride
                let d = Double(block.load(as: Float.self))
                sums.append(Double(block.load(fromByteOffset: 4, as: Float.self)))
                for j in 0..<32 { values.append(d * Double(block.load(fromByteOffset: offset + j, as: Int8.self))) }
            }
        }
        return (values, sums)
    }

    @Test("Swift references are within float rounding of a double product of the dequantized values", arguments: types)
    func referenceMatchesDequantized(type: GGMLType) throws {
        let rows = 6
        let columns = 4 * 256
        let count = 3
        let bytes = Self.weights(type, rows: rows, columns: columns, seed: 77)
        let wd = try type.dequantize(bytes)
        let x = Self.activations(count: count, columns: columns, seed: 78)
        let prepared = PreparedActivations(x, count: count, columns: columns, type: ActivationType(weight: type))
        let out = Self.product(
            type, bytes, rows: rows, columns: columns, prepared: prepared, range: 0..<rows, native: false)
        let rowBytes = type.byteCount(elements: columns)!
        for i in 0..<count {
            let (a, sums) = Self.dequantized(prepared, row: i)
            for r in 0..<rows {
                var ref: Double = 0
                var magnitude: Double = 0
                for k in 0..<columns {
                    // Q5_1's minimum meets the activation block's stored scaled sum, not the sum of its values.
                    let wk =
                        type == .q5_1 ? Self.q5_1Part(bytes, row: r * rowBytes, k).value : Double(wd[r * columns + k])
                    ref += wk * a[k]
                    magnitude += abs(wk * a[k])
                }
                if type == .q5_1 {
                    for b in 0..<(columns / 32) {
                        let m = Self.q5_1Part(bytes, row: r * rowBytes, 32 * b).minimum
                        ref += m * sums[b]
                        magnitude += abs(m * sums[b])
                    }
                }
                let got = Double(out[i * rows + r])
                #expect(abs(got - ref) <= 1e-5 * magnitude + 1e-30, "\(type) row \(r) input \(i): \(got) vs \(ref)")
                #expect(magnitude > 0)
            }
        }
    }

    /// Element `k` of a Q5_1 row starting at byte `row`, split into `d · q` and the block's minimum `m`.
    static func q5_1Part(_ bytes: [UInt8], row: Int, _ k: Int) -> (value: Double, minimum: Double) {
        let block = row + k / 32 * 24
        func half(_ i: Int) -> Double {
            Double(HalfFloat.float(fromF16: UInt16(bytes[block + i]) | UInt16(bytes[block + i + 1]) << 8))
        }
        let j = k % 32
        let high = (Int(bytes[block + 4 + j / 8]) >> (j % 8)) & 1
        let nibble = j < 16 ? Int(bytes[block + 8 + j]) & 15 : Int(bytes[block + 8 + j - 16]) >> 4
        return (half(0) * Double(nibble | high << 4), half(2))
    }

    @Test("Q8_K blocks from the C quantizer equal the Swift ones byte for byte", .enabled(if: NativeKernels.available))
    func q8KQuantizers() {
        var x = KernelTests.values(256 * 6, seed: 21).map { $0 * 19 }
        x += [Float](repeating: 0, count: 256)  // all zero
        // The largest magnitude twice with opposite signs (the first wins), and exact ties after scaling.
        var ties = [Float](repeating: 0.5, count: 256)
        ties[3] = -127
        ties[9] = 127
        for j in 10..<20 { ties[j] = Float(j) + 0.5 }
        x += ties
        var single = [Float](repeating: 0, count: 256)
        single[200] = 1e-30
        x += single
        let blocks = x.count / 256
        var native = [UInt8](repeating: 0xAA, count: blocks * Q8KBlock.stride)
        var swift = native
        x.withUnsafeBufferPointer { input in
            native.withUnsafeMutableBytes {
                NativeKernels.quantizeQ8_K(input.baseAddress!, into: $0.baseAddress!, blocks: blocks)
            }
            swift.withUnsafeMutableBytes { o in
                for b in 0..<blocks {
                    Q8KBlock.quantize(input.baseAddress! + 256 * b, into: o.baseAddress! + b * Q8KBlock.stride)
                }
            }
        }
        for b in 0..<blocks {
            let range = (b * Q8KBlock.stride)..<((b + 1) * Q8KBlock.stride)
            #expect(Array(native[range]) == Array(swift[range]), "block \(b)")
        }
    }

    @Test("Q8_K blocks: scale 1/iscale from the first largest value, values within half a step, sums of 16")
    func q8KSemantics() {
        var x = KernelTests.values(512, seed: 31)
        x[40] = -9
        x[41] = 9  // same magnitude later: the first (negative) one sets the scale
        x += [Float](repeating: 0, count: 256)
        let prepared = PreparedActivations(x, count: 1, columns: 768, type: .q8_K)
        for b in 0..<3 {
            let block = prepared.row(0) + b * Q8KBlock.stride
            let d = block.load(fromByteOffset: Q8KBlock.scale, as: Float.self)
            let slice = Array(x[(256 * b)..<(256 * b + 256)])
            let q = (0..<256).map { Int(block.load(fromByteOffset: $0, as: Int8.self)) }
            let sums = (0..<16).map { Int(block.load(fromByteOffset: Q8KBlock.sums + 2 * $0, as: Int16.self)) }
            for g in 0..<16 { #expect(sums[g] == q[(16 * g)..<(16 * g + 16)].reduce(0, +)) }
            if b == 2 {
                #expect(d == 0 && q.allSatisfy { $0 == 0 })
                continue
            }
            let first = slice.firstIndex { abs($0) == slice.map(abs).max()! }!
            #expect(d == 1 / (-127 / slice[first]))
            #expect(q[first] == -127)
            for j in 0..<256 { #expect(abs(Float(q[j]) * d - slice[j]) <= abs(d) * 0.5001, "value \(j)") }
        }
        #expect(prepared.row(0).load(fromByteOffset: Q8KBlock.scale, as: Float.self) == 1 / (-127 / Float(-9)))
    }

    @Test("Every weight type the loader accepts has a kernel, and MatrixMultiply uses it for every row")
    func supportedTypesMultiply() throws {
        #expect(
            WeightMatrix.supportedTypes
                == [
                    .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_nl,
                    .iq4_xs,
                ])
        let pool = ComputePool(threads: 2)
        defer { pool.shutdown() }
        for type in Self.types {
            let rows = 37
            let columns = 512
            let bytes = Self.weights(type, rows: rows, columns: columns, seed: 5)
            let x = Self.activations(count: 3, columns: columns, seed: 6)
            let prepared = PreparedActivations(x, count: 3, columns: columns, type: ActivationType(weight: type))
            let swift = Self.product(
                type, bytes, rows: rows, columns: columns, prepared: prepared, range: 0..<rows, native: false)
            var out = [Float](repeating: .nan, count: 3 * rows)
            bytes.withUnsafeBytes { raw in
                let m = WeightMatrix(type: type, rows: rows, columns: columns, base: raw.baseAddress!)
                out.withUnsafeMutableBufferPointer { o in
                    MatrixMultiply.multiply(m, activations: prepared, output: o.baseAddress!, pool: pool)
                }
            }
            #expect(out.map(\.bitPattern) == swift.map(\.bitPattern), "\(type)")
        }
    }
}
