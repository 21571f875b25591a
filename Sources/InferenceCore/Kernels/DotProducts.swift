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

    /// BF16 weights · BF16 activations in the order of ggml's AVX2 `ggml_vec_dot_bf16` (built by GCC, which fuses its
    /// multiply-adds), as `bg_bf16_matmul` (bit for bit): four vectors of eight lanes, vector j taking a fused product
    /// of elements `32s + 8j…` step after step, reduced (v0 + v2) + (v1 + v3) and by `laneSum` into a `Double`, to
    /// which a tail of under 32 elements adds each float product.
    @_optimize(speed) @inline(__always)
    static func bf16(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var v = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        /// Sixteen BF16 values from element `i` of `p`, widened.
        func load(_ p: UnsafeRawPointer, _ i: Int) -> SIMD16<Float> {
            HalfWidening.bf16(p.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self))
        }
        var i = 0
        while i + 32 <= n {
            let (w0, a0, w1, a1) = (load(w, i), load(a, i), load(w, i + 16), load(a, i + 16))
            v.0.addProduct(w0.lowHalf, a0.lowHalf)
            v.1.addProduct(w0.highHalf, a0.highHalf)
            v.2.addProduct(w1.lowHalf, a1.lowHalf)
            v.3.addProduct(w1.highHalf, a1.highHalf)
            i += 32
        }
        var sum = Double(laneSum((v.0 + v.2) + (v.1 + v.3)))
        while i < n {
            sum += Double(
                HalfFloat.float(fromBF16: w.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    * HalfFloat.float(fromBF16: a.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            i += 1
        }
        return Float(sum)
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
