import GGUF

/// Swift dot products of 256-value weight super-blocks (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS) with Q8_K activation
/// blocks (`Q8KBlock`), in ggml's AVX2 order (`ggml_vec_dot_<type>_q8_K`), bit for bit what the C kernels compute.
///
/// Per super-block the integer part is exact: int32 lane l gets, for each 32 values, the sum of products `4l…4l+3`
/// times the scale of their 16- or 32-value group. Then the float steps of each type follow ggml's.
extension DotProducts {
    /// The eight int32 lanes of one super-block as floats, for weight values `value(e)` (e in 0…255) with scales
    /// `scale(g)` per group g of 16, against the activation block at `a`.
    @_optimize(speed) @inline(__always)
    static func superLanes(
        _ a: UnsafeRawPointer, value: (Int) -> Int32, scale: (Int) -> Int32
    ) -> SIMD8<Float> {
        SIMD8<Float>(superIntLanes(a, value: value, scale: scale))
    }

    /// The eight int32 lanes of `superLanes`, before their conversion to floats.
    @_optimize(speed) @inline(__always)
    static func superIntLanes(
        _ a: UnsafeRawPointer, value: (Int) -> Int32, scale: (Int) -> Int32
    ) -> SIMD8<Int32> {
        let qa = a.assumingMemoryBound(to: Int8.self)
        var lanes = SIMD8<Int32>()
        for chunk in 0..<8 {
            for l in 0..<8 {
                let first = 32 * chunk + 4 * l
                var s: Int32 = 0
                for e in first..<(first + 4) { s &+= value(e) &* Int32(qa[e]) }
                lanes[l] &+= s &* scale(first / 16)
            }
        }
        return lanes
    }

    /// The activation block's scale and its sum of 16-value group `g`.
    @inline(__always)
    static func q8KScale(_ ab: UnsafeRawPointer) -> Float { ab.load(fromByteOffset: Q8KBlock.scale, as: Float.self) }

    @inline(__always)
    static func q8KSum(_ ab: UnsafeRawPointer, _ g: Int) -> Int32 {
        Int32(ab.load(fromByteOffset: Q8KBlock.sums + 2 * g, as: Int16.self))
    }

    @inline(__always)
    static func byte(_ p: UnsafeRawPointer, _ i: Int) -> UInt8 { p.load(fromByteOffset: i, as: UInt8.self) }

    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ i: Int) -> Float {
        HalfFloat.float(fromF16: p.loadUnaligned(fromByteOffset: i, as: UInt16.self))
    }

    /// Scale and minimum `j` (0…7) of a Q4_K / Q5_K block from its 12 packed bytes at `q` (`get_scale_min_k4`).
    @inline(__always)
    static func scaleMinK4(_ j: Int, _ q: UnsafeRawPointer) -> (scale: Int32, min: Int32) {
        if j < 4 { return (Int32(byte(q, j) & 63), Int32(byte(q, j + 4) & 63)) }
        return (
            Int32((byte(q, j + 4) & 0x0f) | ((byte(q, j - 4) >> 6) << 4)),
            Int32((byte(q, j + 4) >> 4) | ((byte(q, j) >> 6) << 4))
        )
    }

    /// Q2_K weights (84-byte blocks: 16 scale/minimum bytes, 64 bytes of 2-bit values, F16 `d` and `dmin`) · Q8_K:
    /// per block, lane k first fuses `-d_a · dmin` times `min_2k · sum_2k + min_2k+1 · sum_2k+1`, then `d_a · d`
    /// times its integer lane; `laneSum` at the end.
    @_optimize(speed) @inline(__always)
    static func q2_K(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        for b in 0..<(n / 256) {
            let wb = w + 84 * b
            let ab = a + Q8KBlock.stride * b
            let da = q8KScale(ab)
            var minimums = SIMD8<Float>()
            for k in 0..<8 {
                minimums[k] = Float(
                    Int32(byte(wb, 2 * k) >> 4) * q8KSum(ab, 2 * k) + Int32(byte(wb, 2 * k + 1) >> 4)
                        * q8KSum(ab, 2 * k + 1))
            }
            acc.addProduct(SIMD8(repeating: -da * half(wb, 82)), minimums)
            let lanes = superLanes(
                ab, value: { e in Int32((byte(wb, 16 + 32 * (e / 128) + e % 32) >> UInt8(2 * ((e % 128) / 32))) & 3) },
                scale: { g in Int32(byte(wb, g) & 0x0f) })
            acc.addProduct(SIMD8(repeating: da * half(wb, 80)), lanes)
        }
        return laneSum(acc)
    }

    /// Q3_K weights (110-byte blocks: 32 bytes of high bits, 64 of 2-bit values, 12 of 6-bit scales, F16 `d`) ·
    /// Q8_K: lane k fuses `d_a · d` times its integer lane per block; `laneSum` at the end.
    @_optimize(speed) @inline(__always)
    static func q3_K(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        for b in 0..<(n / 256) {
            let wb = w + 110 * b
            let ab = a + Q8KBlock.stride * b
            var scales = SIMD16<Int32>()
            for s in 0..<16 {
                let low = s < 8 ? byte(wb, 96 + s % 8) & 0x0f : byte(wb, 96 + s % 8) >> 4
                let high = (byte(wb, 104 + s % 4) >> UInt8(2 * (s / 4))) & 3
                scales[s] = Int32(low | high << 4) - 32
            }
            let lanes = superLanes(
                ab,
                value: { e in
                    let (h, k, l) = (e / 128, (e % 128) / 32, e % 32)
                    let low = Int32((byte(wb, 32 + 32 * h + l) >> UInt8(2 * k)) & 3)
                    return byte(wb, l) & (1 << UInt8(4 * h + k)) != 0 ? low : low - 4
                }, scale: { scales[$0] })
            acc.addProduct(SIMD8(repeating: q8KScale(ab) * half(wb, 108)), lanes)
        }
        return laneSum(acc)
    }

    /// The minimums' products of a Q4_K / Q5_K block: lane k is `min_2k · (sum_4k + sum_4k+1) + min_2k+1 ·
    /// (sum_4k+2 + sum_4k+3)`.
    @inline(__always)
    static func k4Minimums(_ wb: UnsafeRawPointer, _ ab: UnsafeRawPointer) -> SIMD4<Int32> {
        var prod = SIMD4<Int32>()
        for k in 0..<4 {
            prod[k] =
                scaleMinK4(2 * k, wb + 4).min * (q8KSum(ab, 4 * k) + q8KSum(ab, 4 * k + 1))
                + scaleMinK4(2 * k + 1, wb + 4).min * (q8KSum(ab, 4 * k + 2) + q8KSum(ab, 4 * k + 3))
        }
        return prod
    }

    /// Q4_K weights (144-byte blocks: F16 `d`, `dmin`, 12 bytes of 6-bit scales and minimums, 128 of nibbles) ·
    /// Q8_K: the lanes fuse `d_a · d` times the integer lanes; four more lanes fuse `-d_a · dmin` times
    /// `k4Minimums`; the result is `laneSum` plus those four summed ((m0 + m2) + (m1 + m3)).
    @_optimize(speed) @inline(__always)
    static func q4_K(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var accM = SIMD4<Float>()
        for b in 0..<(n / 256) {
            let wb = w + 144 * b
            let ab = a + Q8KBlock.stride * b
            let da = q8KScale(ab)
            accM.addProduct(SIMD4(repeating: -da * half(wb, 2)), SIMD4<Float>(k4Minimums(wb, ab)))
            let lanes = superLanes(
                ab,
                value: { e in
                    let q = byte(wb, 16 + 32 * (e / 64) + e % 32)
                    return Int32(e % 64 < 32 ? q & 0x0f : q >> 4)
                }, scale: { g in scaleMinK4(g / 2, wb + 4).scale })
            acc.addProduct(SIMD8(repeating: da * half(wb, 0)), lanes)
        }
        return laneSum(acc) + ((accM[0] + accM[2]) + (accM[1] + accM[3]))
    }

    /// Q5_K weights (176-byte blocks: as Q4_K with 32 bytes of fifth bits before the nibbles) · Q8_K: the lanes as
    /// `q4_K`'s; one float fuses `-d_a · dmin` times the minimums' integer total per block, added after `laneSum`.
    @_optimize(speed) @inline(__always)
    static func q5_K(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var minimums: Float = 0
        for b in 0..<(n / 256) {
            let wb = w + 176 * b
            let ab = a + Q8KBlock.stride * b
            let da = q8KScale(ab)
            let total = k4Minimums(wb, ab).wrappedSum()
            minimums = minimums.addingProduct(-da * half(wb, 2), Float(total))
            let lanes = superLanes(
                ab,
                value: { e in
                    let (g, l) = (e / 64, e % 32)
                    let q = byte(wb, 48 + 32 * g + l)
                    let bit = e % 64 < 32 ? 2 * g : 2 * g + 1
                    let high = Int32((byte(wb, 16 + l) >> UInt8(bit)) & 1) << 4
                    return Int32(e % 64 < 32 ? q & 0x0f : q >> 4) | high
                }, scale: { g in scaleMinK4(g / 2, wb + 4).scale })
            acc.addProduct(SIMD8(repeating: da * half(wb, 0)), lanes)
        }
        return laneSum(acc) + minimums
    }

    /// Q6_K weights (210-byte blocks: 128 bytes of low nibbles, 64 of 2-bit highs, 16 int8 scales, F16 `d`) · Q8_K:
    /// the integer lanes take the unsigned 6-bit values, and lane k then loses `32 · (s_2k · sum_2k + s_2k+1 ·
    /// sum_2k+1)` (ggml's offset of 32, taken off per 16-value group); lane k fuses `d_a · d` times its integer lane
    /// per block; `laneSum` at the end.
    @_optimize(speed) @inline(__always)
    static func q6_K(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        for b in 0..<(n / 256) {
            let wb = w + 210 * b
            let ab = a + Q8KBlock.stride * b
            func scale(_ g: Int) -> Int32 { Int32(Int8(bitPattern: byte(wb, 192 + g))) }
            var lanes = superIntLanes(
                ab,
                value: { e in
                    let (h, k, l) = (e / 128, (e % 128) / 32, e % 32)
                    let q = byte(wb, 64 * h + 32 * (k & 1) + l)
                    let low = k < 2 ? q & 0x0f : q >> 4
                    let high = (byte(wb, 128 + 32 * h + l) >> UInt8(2 * k)) & 3
                    return Int32(low | high << 4)
                }, scale: scale)
            for k in 0..<8 {
                lanes[k] &-= 32 &* (scale(2 * k) &* q8KSum(ab, 2 * k) &+ scale(2 * k + 1) &* q8KSum(ab, 2 * k + 1))
            }
            acc.addProduct(SIMD8(repeating: q8KScale(ab) * half(wb, 208)), SIMD8<Float>(lanes))
        }
        return laneSum(acc)
    }

    /// IQ4_XS weights (136-byte blocks: F16 `d`, 2 bytes of high scale bits, 4 of low scale nibbles, 128 of indices
    /// into `GGMLType.iq4Values`) · Q8_K: lane k fuses `d · d_a` times its integer lane per block; `laneSum`.
    @_optimize(speed) @inline(__always)
    static func iq4_xs(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        let values = GGMLType.iq4Values
        for b in 0..<(n / 256) {
            let wb = w + 136 * b
            let ab = a + Q8KBlock.stride * b
            let high = UInt16(littleEndian: wb.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            let lanes = superLanes(
                ab,
                value: { e in
                    let q = byte(wb, 8 + 16 * (e / 32) + e % 16)
                    return Int32(values[Int(e % 32 < 16 ? q & 0x0f : q >> 4)])
                },
                scale: { g in
                    let ib = g / 2
                    let low = (byte(wb, 4 + ib / 2) >> UInt8(4 * (ib % 2))) & 0x0f
                    return Int32(Int(low) | Int((high >> UInt16(2 * ib)) & 3) << 4) - 32
                })
            acc.addProduct(SIMD8(repeating: half(wb, 0) * q8KScale(ab)), lanes)
        }
        return laneSum(acc)
    }
}
