import GGUF

/// Swift dot products of 32-value weight blocks (Q4_0, Q5_0, Q5_1, IQ4_NL) with Q8_0 / Q8_1 activation blocks, in
/// ggml's AVX2 order (`ggml_vec_dot_<type>_q8_0` / `_q8_1`), bit for bit what the C kernels compute.
extension DotProducts {
    /// The eight int32 lane sums of one block as floats: lane l holds the exact sum of products `4l…4l+3` of the
    /// weight values `value(j)` with the activation int8 at `a`.
    @_optimize(speed) @inline(__always)
    static func block32Lanes(_ a: UnsafeRawPointer, _ value: (Int) -> Int32) -> SIMD8<Float> {
        let qa = a.assumingMemoryBound(to: Int8.self)
        var sums = SIMD8<Float>()
        for l in 0..<8 {
            var s: Int32 = 0
            for j in (4 * l)..<(4 * l + 4) { s &+= value(j) &* Int32(qa[j]) }
            sums[l] = Float(s)
        }
        return sums
    }

    /// Nibble `j` (0…31) of the 16 bytes at `p`: low nibbles are elements 0…15, high ones 16…31.
    @inline(__always)
    static func nibble(_ p: UnsafeRawPointer, _ j: Int) -> Int32 {
        let byte = p.load(fromByteOffset: j & 15, as: UInt8.self)
        return Int32(j < 16 ? byte & 0x0f : byte >> 4)
    }

    /// The fifth bit of element `j` from the 32-bit word at `p`, as 0 or 16.
    @inline(__always)
    static func fifth(_ p: UnsafeRawPointer, _ j: Int) -> Int32 {
        Int32((UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)) >> UInt32(j)) & 1) << 4
    }

    /// Q4_0 weights (18-byte blocks: F16 scale, nibbles offset by 8) · Q8_0 activations: eight float lanes, lane l
    /// taking block after block a fused `d_w · d_a` times the block's lane l; summed by `laneSum`.
    @_optimize(speed) @inline(__always)
    static func q4_0(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var lanes = SIMD8<Float>()
        for b in 0..<(n / 32) {
            let wb = w + 18 * b
            let ab = a + Q8Block.stride * b
            let d = HalfFloat.float(fromF16: wb.loadUnaligned(as: UInt16.self)) * ab.load(as: Float.self)
            lanes.addProduct(SIMD8(repeating: d), block32Lanes(ab + 4) { nibble(wb + 2, $0) - 8 })
        }
        return laneSum(lanes)
    }

    /// Q5_0 weights (22-byte blocks: F16 scale, 32 fifth bits, nibbles; values offset by 16) · Q8_0 activations, in
    /// the order of `q4_0`.
    @_optimize(speed) @inline(__always)
    static func q5_0(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var lanes = SIMD8<Float>()
        for b in 0..<(n / 32) {
            let wb = w + 22 * b
            let ab = a + Q8Block.stride * b
            let d = HalfFloat.float(fromF16: wb.loadUnaligned(as: UInt16.self)) * ab.load(as: Float.self)
            lanes.addProduct(
                SIMD8(repeating: d), block32Lanes(ab + 4) { (nibble(wb + 6, $0) | fifth(wb + 2, $0)) - 16 })
        }
        return laneSum(lanes)
    }

    /// Q5_1 weights (24-byte blocks: F16 scale `d`, F16 minimum `m`, fifth bits, nibbles) · Q8_1 activations, in the
    /// order of `q4_1`: the lanes as `q4_0`'s, one float fusing `m · s_a` block after block, added at the end.
    @_optimize(speed) @inline(__always)
    static func q5_1(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var lanes = SIMD8<Float>()
        var minimums: Float = 0
        for b in 0..<(n / 32) {
            let wb = w + 24 * b
            let ab = a + Q8Block.stride * b
            let m = HalfFloat.float(fromF16: wb.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            minimums = minimums.addingProduct(m, ab.load(fromByteOffset: 4, as: Float.self))
            let d = HalfFloat.float(fromF16: wb.loadUnaligned(as: UInt16.self)) * ab.load(as: Float.self)
            lanes.addProduct(SIMD8(repeating: d), block32Lanes(ab + 8) { nibble(wb + 8, $0) | fifth(wb + 4, $0) })
        }
        return laneSum(lanes) + minimums
    }

    /// IQ4_NL weights (18-byte blocks: F16 scale, indices into `GGMLType.iq4Values`) · Q8_0 activations in ggml's
    /// order: blocks in pairs, the even ones into one set of eight lanes and the odd ones into another, the two added
    /// before `laneSum`; an odd last block's exact integer sum is then fused in with its `d_a · d_w`.
    @_optimize(speed) @inline(__always)
    static func iq4_nl(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var even = SIMD8<Float>()
        var odd = SIMD8<Float>()
        let blocks = n / 32
        let paired = blocks & ~1
        let values = GGMLType.iq4Values
        for b in 0..<paired {
            let wb = w + 18 * b
            let ab = a + Q8Block.stride * b
            let d = ab.load(as: Float.self) * HalfFloat.float(fromF16: wb.loadUnaligned(as: UInt16.self))
            let sums = block32Lanes(ab + 4) { Int32(values[Int(nibble(wb + 2, $0))]) }
            if b & 1 == 0 {
                even.addProduct(SIMD8(repeating: d), sums)
            } else {
                odd.addProduct(SIMD8(repeating: d), sums)
            }
        }
        var sum = laneSum(even + odd)
        if paired < blocks {
            let wb = w + 18 * paired
            let ab = a + Q8Block.stride * paired
            let d = ab.load(as: Float.self) * HalfFloat.float(fromF16: wb.loadUnaligned(as: UInt16.self))
            let total = block32Lanes(ab + 4) { Int32(values[Int(nibble(wb + 2, $0))]) }.sum()
            sum = sum.addingProduct(d, total)
        }
        return sum
    }
}
