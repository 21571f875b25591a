import Dispatch
import Synchronization

/// Turning `Float`s into stored tensor bytes, as ggml's reference quantizers (`quantize_row_*_ref`) do, so files
/// we write hold the same bytes llama.cpp's tools would.
extension GGMLType {
    /// Whether `quantize` supports this type (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K...Q6_K, IQ4_NL
    /// and IQ4_XS).
    public var canQuantize: Bool {
        switch self {
        case .f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1: true
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_nl, .iq4_xs: true
        default: false
        }
    }

    /// Encodes `values` into `output`, which must be exactly the size of `values.count` elements of this type.
    public func quantize(
        _ values: UnsafeBufferPointer<Float>, into output: UnsafeMutableRawBufferPointer
    ) throws(GGUFError) {
        try checkLengths(elements: values.count, bytes: output.count, doing: "quantize")
        guard values.count > 0 else { return }
        let src = values.baseAddress!
        let dst = output.baseAddress!
        let blocks = values.count / blockSize
        let scratch = QuantizeScratch.allocate()
        defer { scratch.deallocate() }
        switch self {
        case .f32:
            for i in 0..<values.count {
                dst.storeBytes(of: src[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        case .f16:
            for i in 0..<values.count {
                dst.storeBytes(of: HalfFloat.f16(from: src[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            }
        case .bf16:
            for i in 0..<values.count {
                dst.storeBytes(of: HalfFloat.bf16(from: src[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            }
        case .q8_0:
            for b in 0..<blocks { Self.quantizeQ8_0(src + 32 * b, dst + 34 * b) }
        case .q4_0:
            for b in 0..<blocks { Self.quantizeQ4_0(src + 32 * b, dst + 18 * b) }
        case .q4_1:
            for b in 0..<blocks { Self.quantizeQ4_1(src + 32 * b, dst + 20 * b) }
        case .q5_0:
            for b in 0..<blocks { Self.quantizeQ5_0(src + 32 * b, dst + 22 * b) }
        case .q5_1:
            for b in 0..<blocks { Self.quantizeQ5_1(src + 32 * b, dst + 24 * b) }
        case .q2_K:
            for b in 0..<blocks { Self.quantizeQ2_K(src + 256 * b, dst + 84 * b, scratch) }
        case .q3_K:
            for b in 0..<blocks { Self.quantizeQ3_K(src + 256 * b, dst + 110 * b, scratch) }
        case .q4_K:
            for b in 0..<blocks { Self.quantizeQ45_K(src + 256 * b, dst + 144 * b, bits: 4, scratch) }
        case .q5_K:
            for b in 0..<blocks { Self.quantizeQ45_K(src + 256 * b, dst + 176 * b, bits: 5, scratch) }
        case .q6_K:
            for b in 0..<blocks { Self.quantizeQ6_K(src + 256 * b, dst + 210 * b, scratch) }
        case .iq4_nl:
            for b in 0..<blocks { Self.quantizeIQ4_NL(src + 32 * b, dst + 18 * b) }
        case .iq4_xs:
            for b in 0..<blocks { Self.quantizeIQ4_XS(src + 256 * b, dst + 136 * b) }
        default:
            throw GGUFError(.unknownTensorType, path: Self.memoryPath, "cannot quantize to \(self) yet")
        }
    }

    /// Encodes `values` (a whole number of blocks of this type) into new bytes.
    public func quantize(_ values: [Float]) throws(GGUFError) -> [UInt8] {
        guard let count = byteCount(elements: values.count) else {
            throw GGUFError(
                .badTensorInfo, path: Self.memoryPath,
                "cannot quantize \(values.count) values to \(self): not a multiple of its block of \(blockSize)")
        }
        var result = [UInt8](repeating: 0, count: count)
        try rethrowingGGUFError {
            try values.withUnsafeBufferPointer { input in
                try result.withUnsafeMutableBytes { out in try quantize(input, into: out) }
            }
        }
        return result
    }

    /// Q8_0: d = max|x| / 127 stored as f16, then round(x / d) (halves away from zero) as int8.
    private static func quantizeQ8_0(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0..<32 { amax = max(amax, abs(x[j])) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        out.storeBytes(of: HalfFloat.f16(from: d).littleEndian, toByteOffset: 0, as: UInt16.self)
        for j in 0..<32 {
            let q = clampToInt((x[j] * id).rounded(.toNearestOrAwayFromZero), -128, 127)
            out.storeBytes(of: UInt8(bitPattern: Int8(q)), toByteOffset: 2 + j, as: UInt8.self)
        }
    }

    /// Q4_0: d = (the value of largest magnitude) / -8 stored as f16, then trunc(x / d + 8.5) clamped to 0...15;
    /// elements 0..<16 go in the low nibbles, 16..<32 in the high ones.
    private static func quantizeQ4_0(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        var amax: Float = 0
        var signedMax: Float = 0
        for j in 0..<32 where amax < abs(x[j]) {
            amax = abs(x[j])
            signedMax = x[j]
        }
        let d = signedMax / -8
        let id: Float = d != 0 ? 1 / d : 0
        out.storeBytes(of: HalfFloat.f16(from: d).littleEndian, toByteOffset: 0, as: UInt16.self)
        for j in 0..<16 {
            let low = clampToInt((x[j] * id + 8.5).rounded(.towardZero), 0, 15)
            let high = clampToInt((x[j + 16] * id + 8.5).rounded(.towardZero), 0, 15)
            out.storeBytes(of: UInt8(low | (high << 4)), toByteOffset: 2 + j, as: UInt8.self)
        }
    }

    /// Q4_1: d = (max − min) / 15 and the minimum, both stored as f16, then trunc((x − min) / d + 0.5) clamped to
    /// 0...15; elements 0..<16 go in the low nibbles, 16..<32 in the high ones.
    private static func quantizeQ4_1(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        var low = Float.greatestFiniteMagnitude
        var high = -Float.greatestFiniteMagnitude
        for j in 0..<32 {
            low = min(low, x[j])
            high = max(high, x[j])
        }
        let d = (high - low) / 15
        let id: Float = d != 0 ? 1 / d : 0
        out.storeBytes(of: HalfFloat.f16(from: d).littleEndian, toByteOffset: 0, as: UInt16.self)
        out.storeBytes(of: HalfFloat.f16(from: low).littleEndian, toByteOffset: 2, as: UInt16.self)
        for j in 0..<16 {
            let first = clampToInt((x[j] - low) * id + 0.5, 0, 15)
            let second = clampToInt((x[j + 16] - low) * id + 0.5, 0, 15)
            out.storeBytes(of: UInt8(first | (second << 4)), toByteOffset: 4 + j, as: UInt8.self)
        }
    }

    /// `value` as an integer clamped to `low...high`; NaN gives 0.
    @inline(__always)
    private static func clampToInt(_ value: Float, _ low: Int, _ high: Int) -> Int {
        guard !value.isNaN else { return 0 }
        if value <= Float(low) { return low }
        if value >= Float(high) { return high }
        return Int(value)
    }
}

extension GGMLType {
    /// `values` (`rows` rows of equal length) encoded as this type into new bytes, the rows shared out between
    /// `threads` threads: the same bytes as one `quantize` call, since each row's bytes depend on that row alone.
    public func quantize(_ values: [Float], rows: Int, threads: Int) throws(GGUFError) -> [UInt8] {
        let rowLength = values.count / max(rows, 1)
        guard rows > 0, values.count == rows * rowLength, let rowBytes = byteCount(elements: rowLength) else {
            return try quantize(values)
        }
        var out = [UInt8](repeating: 0, count: rows * rowBytes)
        let pieces = min(rows, max(1, threads) * 4)
        let failed = values.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBytes { output in
                let shared = RowBuffers(input: input, output: output)
                let failures = Mutex(0)
                DispatchQueue.concurrentPerform(iterations: pieces) { piece in
                    let first = rows * piece / pieces
                    let last = rows * (piece + 1) / pieces
                    do {
                        try quantize(
                            UnsafeBufferPointer(rebasing: shared.input[(first * rowLength)..<(last * rowLength)]),
                            into: UnsafeMutableRawBufferPointer(
                                rebasing: shared.output[(first * rowBytes)..<(last * rowBytes)]))
                    } catch {
                        failures.withLock { $0 += 1 }
                    }
                }
                return failures.withLock { $0 } > 0
            }
        }
        if failed { return try quantize(values) }  // rethrows the encoder's own error
        return out
    }
}

/// The input and output of one parallel encoding, shared by threads that each touch their own rows.
private struct RowBuffers: @unchecked Sendable {
    let input: UnsafeBufferPointer<Float>
    let output: UnsafeMutableRawBufferPointer
}
