/// Q5_0 and Q5_1, as ggml's `quantize_row_q5_0_ref`/`quantize_row_q5_1_ref` (which llama-quantize uses without an
/// importance matrix): 32 values, 4 low bits in nibbles (elements 0..<16 low, 16..<32 high), the fifth bit of
/// element j in bit j of a 32-bit word.
extension GGMLType {
    /// Q5_0: d = (the value of largest magnitude) / −16 as f16, then min(31, trunc(x / d + 16.5)).
    static func quantizeQ5_0(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        var amax: Float = 0
        var signedMax: Float = 0
        for j in 0..<32 where amax < abs(x[j]) {
            amax = abs(x[j])
            signedMax = x[j]
        }
        let d = signedMax / -16
        let id: Float = d != 0 ? 1 / d : 0
        QuantizeSearch.storeHalf(d, out, 0)
        var high: UInt32 = 0
        for j in 0..<16 {
            let first = min(31, truncatedLevel(x[j] * id + 16.5))
            let second = min(31, truncatedLevel(x[j + 16] * id + 16.5))
            out.storeBytes(of: UInt8((first & 15) | ((second & 15) << 4)), toByteOffset: 6 + j, as: UInt8.self)
            high |= UInt32((first >> 4) & 1) << j
            high |= UInt32((second >> 4) & 1) << (j + 16)
        }
        out.storeBytes(of: high.littleEndian, toByteOffset: 2, as: UInt32.self)
    }

    /// Q5_1: d = (max − min) / 31 and the minimum as f16, then trunc((x − min) / d + 0.5).
    static func quantizeQ5_1(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        var low = Float.greatestFiniteMagnitude
        var highest = -Float.greatestFiniteMagnitude
        for j in 0..<32 {
            if x[j] < low { low = x[j] }
            if x[j] > highest { highest = x[j] }
        }
        let d = (highest - low) / 31
        let id: Float = d != 0 ? 1 / d : 0
        QuantizeSearch.storeHalf(d, out, 0)
        QuantizeSearch.storeHalf(low, out, 2)
        var high: UInt32 = 0
        for j in 0..<16 {
            let first = truncatedLevel((x[j] - low) * id + 0.5) & 0xff
            let second = truncatedLevel((x[j + 16] - low) * id + 0.5) & 0xff
            out.storeBytes(of: UInt8((first & 15) | ((second & 15) << 4)), toByteOffset: 8 + j, as: UInt8.self)
            high |= UInt32((first >> 4) & 1) << j
            high |= UInt32((second >> 4) & 1) << (j + 16)
        }
        out.storeBytes(of: high.littleEndian, toByteOffset: 4, as: UInt32.self)
    }

    /// C's float-to-int conversion (toward zero) for a level that is in range for finite input; NaN gives 0.
    @inline(__always)
    static func truncatedLevel(_ value: Float) -> Int {
        guard value.isFinite, abs(value) < 1e9 else { return 0 }
        return Int(value.rounded(.towardZero))
    }
}
