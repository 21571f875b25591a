/// Conversions between `Float` and the two 16-bit float formats GGUF stores: IEEE half (F16) and bfloat16 (BF16).
///
/// Both directions match ggml bit for bit: F16 rounds to nearest even (as F16C hardware does); BF16 rounds to
/// nearest even and turns NaN into a quiet NaN, as `ggml_compute_fp32_to_bf16` does.
public enum HalfFloat {
    /// The `Float` an IEEE half-precision bit pattern stands for (exact).
    @inlinable
    public static func float(fromF16 bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// The IEEE half-precision bit pattern nearest to `value` (ties to even; overflow gives infinity).
    @inlinable
    public static func f16(from value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// The `Float` a bfloat16 bit pattern stands for (exact: the upper half of a binary32).
    @inlinable
    public static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The bfloat16 bit pattern nearest to `value` (ties to even; NaN stays a quiet NaN).
    @inlinable
    public static func bf16(from value: Float) -> UInt16 {
        let u = value.bitPattern
        if u & 0x7fff_ffff > 0x7f80_0000 {
            return UInt16(truncatingIfNeeded: u >> 16) | 64
        }
        return UInt16(truncatingIfNeeded: (u &+ (0x7fff &+ ((u >> 16) & 1))) >> 16)
    }
}
