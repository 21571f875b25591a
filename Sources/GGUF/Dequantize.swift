/// Turning stored tensor bytes back into `Float`s, block by block, exactly as ggml's `dequantize_row_*` do.
extension GGMLType {
    /// Whether `dequantize` supports this type (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q2_K, Q3_K,
    /// Q4_K, Q5_K, Q6_K and IQ4_XS).
    public var canDequantize: Bool {
        switch self {
        case .f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .iq4_nl, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_xs:
            true
        default: false
        }
    }

    /// Decodes `bytes` into `output`; `output.count` elements must take exactly `bytes.count` bytes of this type.
    public func dequantize(
        _ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>
    ) throws(GGUFError) {
        try checkLengths(elements: output.count, bytes: bytes.count, doing: "dequantize")
        guard output.count > 0 else { return }
        let src = bytes.baseAddress!
        let dst = output.baseAddress!
        let blocks = output.count / blockSize
        switch self {
        case .f32:
            for i in 0..<output.count {
                dst[i] = Float(
                    bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        case .f16:
            for i in 0..<output.count { dst[i] = HalfFloat.float(fromF16: src.u16(at: 2 * i)) }
        case .bf16:
            for i in 0..<output.count { dst[i] = HalfFloat.float(fromBF16: src.u16(at: 2 * i)) }
        case .q8_0:
            for b in 0..<blocks { Self.dequantizeQ8_0(src + b * 34, dst + b * 32) }
        case .q4_0:
            for b in 0..<blocks { Self.dequantizeQ4_0(src + b * 18, dst + b * 32) }
        case .q4_1:
            for b in 0..<blocks { Self.dequantizeQ4_1(src + b * 20, dst + b * 32) }
        case .q4_K:
            for b in 0..<blocks { Self.dequantizeQ4_K(src + b * 144, dst + b * 256) }
        case .q6_K:
            for b in 0..<blocks { Self.dequantizeQ6_K(src + b * 210, dst + b * 256) }
        case .q5_0:
            for b in 0..<blocks { Self.dequantizeQ5_0(src + b * 22, dst + b * 32) }
        case .q5_1:
            for b in 0..<blocks { Self.dequantizeQ5_1(src + b * 24, dst + b * 32) }
        case .iq4_nl:
            for b in 0..<blocks { Self.dequantizeIQ4_NL(src + b * 18, dst + b * 32) }
        case .q2_K:
            for b in 0..<blocks { Self.dequantizeQ2_K(src + b * 84, dst + b * 256) }
        case .q3_K:
            for b in 0..<blocks { Self.dequantizeQ3_K(src + b * 110, dst + b * 256) }
        case .q5_K:
            for b in 0..<blocks { Self.dequantizeQ5_K(src + b * 176, dst + b * 256) }
        case .iq4_xs:
            for b in 0..<blocks { Self.dequantizeIQ4_XS(src + b * 136, dst + b * 256) }
        default:
            throw GGUFError(.unknownTensorType, path: Self.memoryPath, "cannot dequantize \(self) yet")
        }
    }

    /// Decodes `bytes` (a whole number of blocks of this type) into a new array.
    public func dequantize(_ bytes: UnsafeRawBufferPointer) throws(GGUFError) -> [Float] {
        guard bytes.count % blockBytes == 0 else {
            throw GGUFError(
                .badTensorInfo, path: Self.memoryPath,
                "cannot dequantize \(bytes.count) bytes: not a whole number of \(self) blocks of \(blockBytes) bytes")
        }
        let count = bytes.count / blockBytes * blockSize
        var result = [Float](repeating: 0, count: count)
        try rethrowingGGUFError {
            try result.withUnsafeMutableBufferPointer { out in try dequantize(bytes, into: out) }
        }
        return result
    }

    /// Decodes `bytes` (a whole number of blocks of this type) into a new array.
    public func dequantize(_ bytes: [UInt8]) throws(GGUFError) -> [Float] {
        try rethrowingGGUFError { try bytes.withUnsafeBytes { raw in try dequantize(raw) } }
    }

    /// The path `GGUFError`s name when the problem is in memory rather than in a file.
    static let memoryPath = "(in memory)"

    func checkLengths(elements: Int, bytes: Int, doing: String) throws(GGUFError) {
        guard let expected = byteCount(elements: elements), expected == bytes else {
            let need = byteCount(elements: elements).map { "\($0) bytes" } ?? "a multiple of \(blockSize) elements"
            throw GGUFError(
                .badTensorInfo, path: Self.memoryPath,
                "cannot \(doing) \(elements) \(self) elements with \(bytes) bytes (needs \(need))")
        }
    }

    private static func dequantizeQ8_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromF16: block.u16(at: 0))
        for j in 0..<32 {
            out[j] = Float(Int8(bitPattern: block.load(fromByteOffset: 2 + j, as: UInt8.self))) * d
        }
    }

    private static func dequantizeQ4_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromF16: block.u16(at: 0))
        for j in 0..<16 {
            let q = block.load(fromByteOffset: 2 + j, as: UInt8.self)
            out[j] = Float(Int(q & 0x0f) - 8) * d
            out[j + 16] = Float(Int(q >> 4) - 8) * d
        }
    }

    /// A Q4_1 block: F16 scale `d`, F16 minimum `m`, 16 bytes of nibbles (low: elements 0…15, high: 16…31);
    /// element = nibble · d + m.
    private static func dequantizeQ4_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromF16: block.u16(at: 0))
        let m = HalfFloat.float(fromF16: block.u16(at: 2))
        for j in 0..<16 {
            let q = block.load(fromByteOffset: 4 + j, as: UInt8.self)
            out[j] = Float(q & 0x0f) * d + m
            out[j + 16] = Float(q >> 4) * d + m
        }
    }

    /// Scale and minimum `j` (0..<8) of a Q4_K block, from its 12 bytes of packed 6-bit values.
    static func q4KScaleMin(_ j: Int, _ scales: UnsafeRawPointer) -> (scale: UInt8, min: UInt8) {
        func byte(_ i: Int) -> UInt8 { scales.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 {
            return (byte(j) & 63, byte(j + 4) & 63)
        }
        return ((byte(j + 4) & 0x0f) | ((byte(j - 4) >> 6) << 4), (byte(j + 4) >> 4) | ((byte(j) >> 6) << 4))
    }

    private static func dequantizeQ4_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromF16: block.u16(at: 0))
        let dmin = HalfFloat.float(fromF16: block.u16(at: 2))
        let scales = block + 4
        let qs = block + 16
        // Four groups of 64 elements: 32 low nibbles with one scale/min, then the same 32 bytes' high nibbles.
        for group in 0..<4 {
            let (sc1, m1) = q4KScaleMin(2 * group, scales)
            let (sc2, m2) = q4KScaleMin(2 * group + 1, scales)
            let d1 = d * Float(sc1)
            let min1 = dmin * Float(m1)
            let d2 = d * Float(sc2)
            let min2 = dmin * Float(m2)
            let q = qs + 32 * group
            let y = out + 64 * group
            for l in 0..<32 {
                let byte = q.load(fromByteOffset: l, as: UInt8.self)
                y[l] = d1 * Float(byte & 0x0f) - min1
                y[l + 32] = d2 * Float(byte >> 4) - min2
            }
        }
    }

    private static func dequantizeQ6_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromF16: block.u16(at: 208))
        // Two halves of 128 elements, each using 64 bytes of ql, 32 of qh and 8 scales.
        for half in 0..<2 {
            let ql = block + 64 * half
            let qh = block + 128 + 32 * half
            let sc = block + 192 + 8 * half
            let y = out + 128 * half
            func scale(_ i: Int) -> Float { d * Float(Int8(bitPattern: sc.load(fromByteOffset: i, as: UInt8.self))) }
            for l in 0..<32 {
                let s = l / 16
                let low0 = ql.load(fromByteOffset: l, as: UInt8.self)
                let low1 = ql.load(fromByteOffset: l + 32, as: UInt8.self)
                let high = qh.load(fromByteOffset: l, as: UInt8.self)
                let q1 = Int((low0 & 0x0f) | ((high & 3) << 4)) - 32
                let q2 = Int((low1 & 0x0f) | (((high >> 2) & 3) << 4)) - 32
                let q3 = Int((low0 >> 4) | (((high >> 4) & 3) << 4)) - 32
                let q4 = Int((low1 >> 4) | (((high >> 6) & 3) << 4)) - 32
                y[l] = scale(s) * Float(q1)
                y[l + 32] = scale(s + 2) * Float(q2)
                y[l + 64] = scale(s + 4) * Float(q3)
                y[l + 96] = scale(s + 6) * Float(q4)
            }
        }
    }
}

extension GGUFFile {
    /// All elements of `info` as `Float`s (row after row).
    public func dequantize(_ info: GGUFTensorInfo) throws(GGUFError) -> [Float] {
        var result = [Float](repeating: 0, count: info.elementCount)
        let raw = bytes(of: info)
        try rethrowingGGUFError {
            try result.withUnsafeMutableBufferPointer { out in try info.type.dequantize(raw, into: out) }
        }
        return result
    }

    /// Decodes row `row` of `info` (its `shape[0]` elements) into `output`, which must hold exactly one row.
    public func dequantizeRow(
        _ row: Int, of info: GGUFTensorInfo, into output: UnsafeMutableBufferPointer<Float>
    ) throws(GGUFError) {
        let rowLength = info.shape[0]
        let rows = info.elementCount / rowLength
        guard (0..<rows).contains(row), output.count == rowLength,
            let rowBytes = info.type.byteCount(elements: rowLength)
        else {
            throw GGUFError(
                .badTensorInfo, path: path,
                "cannot read row \(row) of '\(info.name)' (\(rows) rows of \(rowLength)) into \(output.count) floats")
        }
        let all = bytes(of: info)
        try info.type.dequantize(
            UnsafeRawBufferPointer(rebasing: all[(row * rowBytes)..<((row + 1) * rowBytes)]), into: output)
    }
}

extension UnsafeRawPointer {
    /// The little-endian `UInt16` at `offset`, which need not be aligned.
    @inline(__always)
    func u16(at offset: Int) -> UInt16 {
        UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
}
