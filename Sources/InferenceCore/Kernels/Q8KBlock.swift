/// An activation block of 256 values quantized as ggml's `quantize_row_q8_K_ref` does (what x86 uses for the
/// K-quants' and IQ4_XS's activations): `max` is the first value of largest magnitude, `iscale = -127 / max`, each
/// value `min(127, nearest_int(iscale * x))`, the scale `d = 1 / iscale`, and the sum of every 16 values.
///
/// Layout in memory (`stride` bytes, so blocks stay 64-byte aligned): 256 `Int8` at 0, 16 `Int16` sums at `sums`,
/// the `Float` scale at `scale`, zero padding. An all-zero block is all zero bytes.
enum Q8KBlock {
    /// Bytes per prepared block.
    static let stride = 320
    /// Byte offset of the 16 sums.
    static let sums = 256
    /// Byte offset of the scale.
    static let scale = 288

    /// ggml's `nearest_int`: adding 1.5 · 2²³ leaves the value rounded to an integer (ties to even) in the low
    /// mantissa bits.
    @inline(__always)
    static func nearestInt(_ x: Float) -> Int32 {
        Int32(bitPattern: (x + 12_582_912).bitPattern & 0x007f_ffff) - 0x0040_0000
    }

    /// Quantizes 256 floats at `x` into the block at `out`.
    @_optimize(speed)
    static func quantize(_ x: UnsafePointer<Float>, into out: UnsafeMutableRawPointer) {
        out.initializeMemory(as: UInt8.self, repeating: 0, count: stride)
        var max: Float = 0
        var amax: Float = 0
        for j in 0..<256 where abs(x[j]) > amax {
            amax = abs(x[j])
            max = x[j]
        }
        guard amax != 0 else { return }
        let iscale = -127 / max
        let qs = out.assumingMemoryBound(to: Int8.self)
        for j in 0..<256 { qs[j] = Int8(truncatingIfNeeded: min(127, nearestInt(iscale * x[j]))) }
        for g in 0..<16 {
            var sum: Int32 = 0
            for t in 0..<16 { sum &+= Int32(qs[16 * g + t]) }
            out.storeBytes(of: Int16(truncatingIfNeeded: sum), toByteOffset: sums + 2 * g, as: Int16.self)
        }
        out.storeBytes(of: 1 / iscale, toByteOffset: scale, as: Float.self)
    }
}
