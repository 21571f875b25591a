import GGUF

/// A batch of activation rows converted once into the form a weight type's dot product reads
/// (see `ActivationType`), so each weight row is streamed once and meets every activation row.
///
/// `@unchecked Sendable`: the storage is written only in `init` and read-only afterwards, so the pool's threads
/// may read it concurrently.
public final class PreparedActivations: @unchecked Sendable {
    /// The form of the converted rows.
    public let type: ActivationType
    /// Number of rows.
    public let count: Int
    /// Elements per row.
    public let columns: Int
    /// Bytes per converted row.
    public let rowBytes: Int
    /// For `.f16`: whether the rows hold F16-rounded values widened back to `Float` (what the C kernel reads)
    /// rather than the halves themselves (what the Swift kernel reads). The products are the same either way.
    public let halvesWidened: Bool
    /// The converted rows, `rowBytes` apart (64-byte aligned).
    let storage: UnsafeMutableRawPointer

    /// Converts `count` rows of `columns` floats at `input` into `type` (F16 rows widened back to floats when
    /// `widenHalves`; nil, the default, widens them when the C kernels run).
    @_optimize(speed)
    public init(
        _ input: UnsafePointer<Float>, count: Int, columns: Int, type: ActivationType,
        widenHalves: Bool? = nil
    ) {
        self.type = type
        self.count = count
        self.columns = columns
        halvesWidened = type == .f16 && (widenHalves ?? NativeKernels.available)
        switch type {
        case .f32: rowBytes = columns * 4
        case .f16 where halvesWidened: rowBytes = columns * 4
        case .f16, .bf16: rowBytes = columns * 2
        case .q8_0, .q8_1: rowBytes = columns / 32 * Q8Block.stride
        case .q8_K: rowBytes = columns / 256 * Q8KBlock.stride
        }
        storage = .allocate(byteCount: max(rowBytes * count, 64), alignment: 64)
        for r in 0..<count {
            let src = input + r * columns
            let dst = storage + r * rowBytes
            switch type {
            case .f32:
                dst.copyMemory(from: src, byteCount: rowBytes)
            case .f16 where halvesWidened:
                NativeKernels.roundThroughF16(src, into: dst.assumingMemoryBound(to: Float.self), count: columns)
            case .f16:
                let out = dst.assumingMemoryBound(to: UInt16.self)
                for i in 0..<columns { out[i] = HalfFloat.f16(from: src[i]) }
            case .bf16:
                let out = dst.assumingMemoryBound(to: UInt16.self)
                for i in 0..<columns { out[i] = HalfFloat.bf16(from: src[i]) }
            case .q8_0 where NativeKernels.available:
                NativeKernels.quantizeQ8_0(src, into: dst, blocks: columns / 32)
            case .q8_0:
                for b in 0..<(columns / 32) { Q8Block.quantize(src + 32 * b, into: dst + b * Q8Block.stride) }
            case .q8_1 where NativeKernels.available:
                NativeKernels.quantizeQ8_1(src, into: dst, blocks: columns / 32)
            case .q8_1:
                for b in 0..<(columns / 32) { Q8Block.quantizeQ8_1(src + 32 * b, into: dst + b * Q8Block.stride) }
            case .q8_K where NativeKernels.available:
                NativeKernels.quantizeQ8_K(src, into: dst, blocks: columns / 256)
            case .q8_K:
                for b in 0..<(columns / 256) { Q8KBlock.quantize(src + 256 * b, into: dst + b * Q8KBlock.stride) }
            }
        }
    }

    deinit { storage.deallocate() }

    /// The converted row `row`.
    @inline(__always)
    public func row(_ row: Int) -> UnsafeRawPointer { UnsafeRawPointer(storage + row * rowBytes) }
}

/// An activation block of 32 values quantized as ggml's x86 `quantize_row_q8_0` does: scale `d = amax / 127`
/// stored as F16 (kept here already widened to a `Float`), values `round_half_even(x * 127 / amax)`.
///
/// Layout in memory: the scale as a 4-byte `Float`, then 32 `Int8`, padded to `stride` bytes. A Q8_1 block (for Q4_1
/// weights) has the same stride: the scale, the scaled sum `s` as a `Float`, then the 32 `Int8`.
enum Q8Block {
    /// Bytes per prepared block.
    static let stride = 48

    /// Quantizes 32 floats at `x` into the block at `out`.
    @_optimize(speed) @inline(__always)
    static func quantize(_ x: UnsafePointer<Float>, into out: UnsafeMutableRawPointer) {
        let d = quantizeValues(x, into: (out + 4).assumingMemoryBound(to: Int8.self)).scale
        out.storeBytes(of: HalfFloat.float(fromF16: HalfFloat.f16(from: d)), as: Float.self)
    }

    /// Quantizes 32 floats at `x` into the block at `out` as ggml's x86 `quantize_row_q8_1` does: as `quantize`,
    /// with the 32 values 8 bytes in, after the F16 scale and `s = F16(d · Σq)` (both widened to floats), where `d`
    /// is the scale before its rounding to F16.
    @_optimize(speed) @inline(__always)
    static func quantizeQ8_1(_ x: UnsafePointer<Float>, into out: UnsafeMutableRawPointer) {
        let (d, sum) = quantizeValues(x, into: (out + 8).assumingMemoryBound(to: Int8.self))
        out.storeBytes(of: HalfFloat.float(fromF16: HalfFloat.f16(from: d)), as: Float.self)
        out.storeBytes(
            of: HalfFloat.float(fromF16: HalfFloat.f16(from: d * Float(sum))), toByteOffset: 4, as: Float.self)
    }

    /// The 32 values `round_half_even(x * 127 / amax)` into `qs`; returns the unrounded scale `amax / 127` and the
    /// values' sum.
    @_optimize(speed) @inline(__always)
    static func quantizeValues(_ x: UnsafePointer<Float>, into qs: UnsafeMutablePointer<Int8>) -> (
        scale: Float, sum: Int32
    ) {
        var amax: Float = 0
        for j in 0..<32 { amax = max(amax, abs(x[j])) }
        let id: Float = amax != 0 ? 127 / amax : 0
        var sum: Int32 = 0
        for j in 0..<32 {
            // Finite values lie within ±127; a NaN or infinity (a broken model) becomes -128, as in the C kernel,
            // and the engine's logit check reports it.
            let q = (x[j] * id).rounded(.toNearestOrEven)
            qs[j] = q.isFinite ? Int8(max(-128, min(127, q))) : -128
            sum &+= Int32(qs[j])
        }
        return (amax / 127, sum)
    }
}
