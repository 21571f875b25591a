/// Decoders for the 5-bit, non-linear 4-bit and 2/3/5-bit K-quant blocks, exactly as ggml's `dequantize_row_*`.
extension GGMLType {
    /// The 16 values a 4-bit index selects in IQ4_NL and IQ4_XS blocks (ggml's `kvalues_iq4nl`).
    public static let iq4Values: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

    /// The fifth bits of a Q5_0/Q5_1 block's 32 values: bit `j` of the little-endian word belongs to element `j`.
    @inline(__always)
    static func fifthBits(_ p: UnsafeRawPointer) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))
    }

    /// A Q5_0 block: F16 scale, 4 bytes of fifth bits, 16 bytes of nibbles; element = (5-bit value − 16) · d.
    static func dequantizeQ5_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromF16: block.u16(at: 0))
        let high = fifthBits(block + 2)
        for j in 0..<16 {
            let q = block.load(fromByteOffset: 6 + j, as: UInt8.self)
            let low = Int(q & 0x0f) | Int((high >> UInt32(j)) & 1) << 4
            let upper = Int(q >> 4) | Int((high >> UInt32(j + 16)) & 1) << 4
            out[j] = Float(low - 16) * d
            out[j + 16] = Float(upper - 16) * d
        }
    }

    /// A Q5_1 block: F16 scale `d`, F16 minimum `m`, fifth bits, nibbles; element = 5-bit value · d + m.
    static func dequantizeQ5_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromF16: block.u16(at: 0))
        let m = HalfFloat.float(fromF16: block.u16(at: 2))
        let high = fifthBits(block + 4)
        for j in 0..<16 {
            let q = block.load(fromByteOffset: 8 + j, as: UInt8.self)
            let low = Int(q & 0x0f) | Int((high >> UInt32(j)) & 1) << 4
            let upper = Int(q >> 4) | Int((high >> UInt32(j + 16)) & 1) << 4
            out[j] = Float(low) * d + m
            out[j + 16] = Float(upper) * d + m
        }
    }

    /// An IQ4_NL block: F16 scale, 16 bytes of indices into `iq4Values` (low nibbles elements 0…15, high 16…31).
    static func dequantizeIQ4_NL(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromF16: block.u16(at: 0))
        for j in 0..<16 {
            let q = block.load(fromByteOffset: 2 + j, as: UInt8.self)
            out[j] = d * Float(iq4Values[Int(q & 0x0f)])
            out[j + 16] = d * Float(iq4Values[Int(q >> 4)])
        }
    }

    /// A Q2_K block: 16 bytes of 4-bit scale (low) and minimum (high) per 16 values, 64 bytes of 2-bit values, F16
    /// `d` and `dmin`; element = d · scale · q − dmin · min.
    static func dequantizeQ2_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromF16: block.u16(at: 80))
        let dmin = HalfFloat.float(fromF16: block.u16(at: 82))
        for e in 0..<256 {
            let (half, shift, l) = (e / 128, (e % 128) / 32 * 2, e % 32)
            let sc = block.load(fromByteOffset: e / 16, as: UInt8.self)
            let q = (block.load(fromByteOffset: 16 + 32 * half + l, as: UInt8.self) >> UInt8(shift)) & 3
            out[e] = d * Float(sc & 0x0f) * Float(q) - dmin * Float(sc >> 4)
        }
    }

    /// The 16 signed 6-bit scales of a Q3_K block (already minus 32), from its 12 packed bytes.
    static func q3KScales(_ p: UnsafeRawPointer) -> [Int8] {
        func byte(_ i: Int) -> UInt8 { p.load(fromByteOffset: i, as: UInt8.self) }
        return (0..<16).map { s in
            let low = s < 8 ? byte(s % 8) & 0x0f : byte(s % 8) >> 4
            let high = (byte(8 + s % 4) >> UInt8(2 * (s / 4))) & 3
            return Int8(Int(low | high << 4) - 32)
        }
    }

    /// A Q3_K block: 32 bytes of high bits, 64 of 2-bit values, 12 of scales, F16 `d`; element = d · scale · q with
    /// q = 2-bit value − 4 when its high bit is clear.
    static func dequantizeQ3_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromF16: block.u16(at: 108))
        let scales = q3KScales(block + 96)
        for e in 0..<256 {
            let (half, k, l) = (e / 128, (e % 128) / 32, e % 32)
            let low = Int((block.load(fromByteOffset: 32 + 32 * half + l, as: UInt8.self) >> UInt8(2 * k)) & 3)
            let set = block.load(fromByteOffset: l, as: UInt8.self) & (1 << UInt8(4 * half + k)) != 0
            out[e] = d * Float(scales[e / 16]) * Float(low - (set ? 0 : 4))
        }
    }

    /// A Q5_K block: F16 `d` and `dmin`, 12 bytes of 6-bit scales and minimums (as Q4_K), 32 bytes of fifth bits,
    /// 128 of nibbles; element = d · scale · q − dmin · min.
    static func dequantizeQ5_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromF16: block.u16(at: 0))
        let dmin = HalfFloat.float(fromF16: block.u16(at: 2))
        for group in 0..<4 {
            let (sc1, m1) = q4KScaleMin(2 * group, block + 4)
            let (sc2, m2) = q4KScaleMin(2 * group + 1, block + 4)
            let (d1, min1, d2, min2) = (d * Float(sc1), dmin * Float(m1), d * Float(sc2), dmin * Float(m2))
            for l in 0..<32 {
                let q = block.load(fromByteOffset: 48 + 32 * group + l, as: UInt8.self)
                let h = block.load(fromByteOffset: 16 + l, as: UInt8.self)
                let low = Int(q & 0x0f) + (h & (1 << UInt8(2 * group)) != 0 ? 16 : 0)
                let upper = Int(q >> 4) + (h & (2 << UInt8(2 * group)) != 0 ? 16 : 0)
                out[64 * group + l] = d1 * Float(low) - min1
                out[64 * group + 32 + l] = d2 * Float(upper) - min2
            }
        }
    }

    /// An IQ4_XS block: F16 `d`, 2 bytes of high scale bits, 4 bytes of low scale nibbles, 128 bytes of indices into
    /// `iq4Values`; 32 values per 6-bit scale `ls`, element = d · (ls − 32) · value.
    static func dequantizeIQ4_XS(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromF16: block.u16(at: 0))
        let high = block.u16(at: 2)
        for ib in 0..<8 {
            let low = (block.load(fromByteOffset: 4 + ib / 2, as: UInt8.self) >> UInt8(4 * (ib % 2))) & 0x0f
            let ls = Int(low) | Int((high >> UInt16(2 * ib)) & 3) << 4
            let dl = d * Float(ls - 32)
            for j in 0..<16 {
                let q = block.load(fromByteOffset: 8 + 16 * ib + j, as: UInt8.self)
                out[32 * ib + j] = dl * Float(iq4Values[Int(q & 0x0f)])
                out[32 * ib + j + 16] = dl * Float(iq4Values[Int(q >> 4)])
            }
        }
    }
}
