/// Exact SIMD widening of stored 16-bit floats to `Float`, with integer operations only (no F16C needed), so the
/// F16 and BF16 dot products vectorise on any x86-64.
enum HalfWidening {
    /// 16 IEEE halves to floats: the magnitude's bits shifted into place and rescaled by 2^112 (exact for normal and
    /// subnormal halves), infinities and NaNs patched, the sign put back.
    @_optimize(speed) @inline(__always)
    static func f16(_ h: SIMD16<UInt16>) -> SIMD16<Float> {
        let w = SIMD16<UInt32>(truncatingIfNeeded: h)
        let sign = (w & 0x8000) &<< 16
        let magnitude = (w & 0x7fff) &<< 13
        let scaled = unsafeBitCast(magnitude, to: SIMD16<Float>.self) * 0x1p112
        var bits = unsafeBitCast(scaled, to: SIMD16<UInt32>.self)
        bits.replace(with: magnitude | 0x7f80_0000, where: (w & 0x7c00) .== 0x7c00)
        return unsafeBitCast(bits | sign, to: SIMD16<Float>.self)
    }

    /// 16 bfloat16 values to floats (the upper halves of binary32).
    @_optimize(speed) @inline(__always)
    static func bf16(_ h: SIMD16<UInt16>) -> SIMD16<Float> {
        unsafeBitCast(SIMD16<UInt32>(truncatingIfNeeded: h) &<< 16, to: SIMD16<Float>.self)
    }
}
