import CBLAS
import GGUF

/// Dot products of one stored weight row with one prepared activation row, one function per weight type.
///
/// Each function's accumulation order depends only on the row length, never on which or how many other rows are
/// in the batch, so a sequence's logits are the same whether it runs alone or among others.
enum DotProducts {
    /// F32 weights · F32 activations, through OpenBLAS `sdot` (its order depends only on the length).
    @inline(__always)
    static func f32(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        cblas_sdot(Int32(n), w.assumingMemoryBound(to: Float.self), 1, a.assumingMemoryBound(to: Float.self), 1)
    }

    /// F16 weights · F16 activations in llamafile's F16 order, as `bg_f16_matmul` (bit for bit): one vector of
    /// eight lanes takes a fused product of every eight elements, the lanes are summed by `laneSum`, and a tail of
    /// under eight elements is added in `Double`.
    @_optimize(speed) @inline(__always)
    static func f16(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var lanes = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            let wv = HalfWidening.f16(w.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self))
            let av = HalfWidening.f16(a.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self))
            lanes.addProduct(wv.lowHalf, av.lowHalf)
            lanes.addProduct(wv.highHalf, av.highHalf)
            i += 16
        }
        /// Element `i` of `p` as a float.
        func element(_ p: UnsafeRawPointer, _ i: Int) -> Float {
            HalfFloat.float(fromF16: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        }
        if i + 8 <= n {
            var wv = SIMD8<Float>()
            var av = SIMD8<Float>()
            for j in 0..<8 {
                wv[j] = element(w, i + j)
                av[j] = element(a, i + j)
            }
            lanes.addProduct(wv, av)
            i += 8
        }
        var sum = Double(laneSum(lanes))
        while i < n {
            sum += Double(element(w, i) * element(a, i))
            i += 1
        }
        return Float(sum)
    }

    /// BF16 weights · BF16 activations, summed in F32.
    @_optimize(speed) @inline(__always)
    static func bf16(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            acc.addProduct(
                HalfWidening.bf16(w.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)),
                HalfWidening.bf16(a.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)))
            i += 16
        }
        var sum = acc.sum()
        while i < n {
            sum +=
                HalfFloat.float(fromBF16: w.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                * HalfFloat.float(fromBF16: a.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            i += 1
        }
        return sum
    }

    /// The exact integer dot product of 32 int8 pairs (a plain integer loop, which LLVM vectorises).
    @_optimize(speed) @inline(__always)
    static func int8x32(_ x: UnsafeRawPointer, _ y: UnsafeRawPointer) -> Int32 {
        let a = x.assumingMemoryBound(to: Int8.self)
        let b = y.assumingMemoryBound(to: Int8.self)
        var sum: Int32 = 0
        for j in 0..<32 { sum &+= Int32(a[j]) &* Int32(b[j]) }
        return sum
    }

    /// Q8_0 weights (34-byte blocks) · Q8_0 activations (`Q8Block`) in ggml's AVX2 order: eight float lanes, lane
    /// `l` taking, block after block, a fused `d_w * d_a` times the exact integer sum of products `4l…4l+3`; the
    /// lanes summed at the end by `laneSum` (what `bg_q8_0_matmul` computes, bit for bit).
    @_optimize(speed) @inline(__always)
    static func q8_0(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var lanes = SIMD8<Float>()
        for b in 0..<(n / 32) {
            let wb = w + 34 * b
            let ab = a + Q8Block.stride * b
            let dw = HalfFloat.float(fromF16: wb.loadUnaligned(as: UInt16.self))
            let da = ab.load(as: Float.self)
            let qw = (wb + 2).assumingMemoryBound(to: Int8.self)
            let qa = (ab + 4).assumingMemoryBound(to: Int8.self)
            var sums = SIMD8<Float>()
            for l in 0..<8 {
                var s: Int32 = 0
                for j in (4 * l)..<(4 * l + 4) { s &+= Int32(qw[j]) &* Int32(qa[j]) }
                sums[l] = Float(s)
            }
            lanes.addProduct(SIMD8(repeating: dw * da), sums)
        }
        return laneSum(lanes)
    }

    /// Eight float lanes summed as ggml's `hsum_float_8` does: `((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))`.
    @inline(__always)
    static func laneSum(_ x: SIMD8<Float>) -> Float {
        let low = x.lowHalf + x.highHalf
        return (low[0] + low[2]) + (low[1] + low[3])
    }

    /// Q4_0 weights (18-byte blocks: scale, 16 bytes of nibbles; low nibbles are elements 0…15, high 16…31, both
    /// offset by 8) · Q8_0 activations.
    @_optimize(speed) @inline(__always)
    static func q4_0(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var sum: Float = 0
        for b in 0..<(n / 32) {
            let wb = w + 18 * b
            let ab = a + Q8Block.stride * b
            let dw = HalfFloat.float(fromF16: wb.loadUnaligned(as: UInt16.self))
            let da = ab.load(as: Float.self)
            let packed = (wb + 2).assumingMemoryBound(to: UInt8.self)
            let qa = (ab + 4).assumingMemoryBound(to: Int8.self)
            var qi: Int32 = 0
            for j in 0..<16 {
                qi &+= (Int32(packed[j] & 0x0f) &- 8) &* Int32(qa[j])
                qi &+= (Int32(packed[j] >> 4) &- 8) &* Int32(qa[j + 16])
            }
            sum += Float(qi) * (dw * da)
        }
        return sum
    }

    /// Q4_1 weights (20-byte blocks: F16 scale `d`, F16 minimum `m`, 16 bytes of nibbles, low ones elements 0…15,
    /// high ones 16…31) · Q8_1 activations (scale `d_a`, scaled sum `s_a`, 32 int8), in ggml's AVX2 order
    /// (`ggml_vec_dot_q4_1_q8_1`): eight float lanes, lane `l` taking block after block a fused `d · d_a` times the
    /// exact integer sum of products `4l…4l+3`; beside them one float adding `m · s_a` block after block (fused);
    /// the result is `laneSum(lanes)` plus that float.
    @_optimize(speed) @inline(__always)
    static func q4_1(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var lanes = SIMD8<Float>()
        var minimums: Float = 0
        for b in 0..<(n / 32) {
            let wb = w + 20 * b
            let ab = a + Q8Block.stride * b
            let dw = HalfFloat.float(fromF16: wb.loadUnaligned(as: UInt16.self))
            let mw = HalfFloat.float(fromF16: wb.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            let da = ab.load(as: Float.self)
            let sa = ab.load(fromByteOffset: 4, as: Float.self)
            minimums = minimums.addingProduct(mw, sa)
            let packed = (wb + 4).assumingMemoryBound(to: UInt8.self)
            let qa = (ab + 8).assumingMemoryBound(to: Int8.self)
            var sums = SIMD8<Float>()
            for l in 0..<8 {
                var s: Int32 = 0
                for j in (4 * l)..<(4 * l + 4) {
                    let nibble = j < 16 ? packed[j] & 0x0f : packed[j - 16] >> 4
                    s &+= Int32(nibble) &* Int32(qa[j])
                }
                sums[l] = Float(s)
            }
            lanes.addProduct(SIMD8(repeating: dw * da), sums)
        }
        return laneSum(lanes) + minimums
    }
}
