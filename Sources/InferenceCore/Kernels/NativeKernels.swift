import CKernels
import Foundation
import GGUF

/// The CKernels target's AVX2/FMA/F16C matrix products, used when the CPU has those extensions (otherwise the
/// Swift kernels in `DotProducts` run). Results are written as `MatrixMultiply` lays them out:
/// `output[i * rows + r]` for weight row `r` and activation row `i`.
enum NativeKernels {
    /// Whether this CPU runs the C kernels (AVX2, FMA and F16C), checked once. Setting `BATCHGATE_KERNELS=swift`
    /// in the environment forces the Swift kernels (to compare the two on one machine).
    static let available: Bool = {
        if let choice = getenv("BATCHGATE_KERNELS"), String(cString: choice) == "swift" { return false }
        return bg_kernels_available() != 0
    }()

    /// Q8_0 weight rows `range` × every prepared Q8_0 activation row.
    @inline(__always)
    static func q8_0(
        _ weight: WeightMatrix, rows range: Range<Int>, activations: PreparedActivations,
        output: UnsafeMutablePointer<Float>
    ) {
        blocks(bg_q8_0_matmul, weight, rows: range, activations: activations, output: output)
    }

    /// Q4_1 weight rows `range` × every prepared Q8_1 activation row.
    @inline(__always)
    static func q4_1(
        _ weight: WeightMatrix, rows range: Range<Int>, activations: PreparedActivations,
        output: UnsafeMutablePointer<Float>
    ) {
        blocks(bg_q4_1_matmul, weight, rows: range, activations: activations, output: output)
    }

    /// The decoded-row kernel for `type` (Q4_0, Q5_0, Q5_1, IQ4_NL, the K-quants and IQ4_XS), nil for other types.
    static func decodedKernel(_ type: GGMLType) -> BlockKernel? {
        switch type {
        case .q4_0: bg_q4_0_matmul
        case .q5_0: bg_q5_0_matmul
        case .q5_1: bg_q5_1_matmul
        case .iq4_nl: bg_iq4_nl_matmul
        case .q2_K: bg_q2_k_matmul
        case .q3_K: bg_q3_k_matmul
        case .q4_K: bg_q4_k_matmul
        case .q5_K: bg_q5_k_matmul
        case .q6_K: bg_q6_k_matmul
        case .iq4_xs: bg_iq4_xs_matmul
        default: nil
        }
    }

    /// The tiled-order kernel for `type` (llama.cpp's order for batches of at least 8 activation rows, a prompt
    /// chunk: `bg_<type>_matmul_tiled`) for the super-block types Q2_K…Q6_K and IQ4_XS, nil for other types. Called
    /// like a decoded-row kernel (`decoded(_:_:rows:activations:output:)`).
    static func tiledKernel(_ type: GGMLType) -> BlockKernel? {
        switch type {
        case .q2_K: bg_q2_k_matmul_tiled
        case .q3_K: bg_q3_k_matmul_tiled
        case .q4_K: bg_q4_k_matmul_tiled
        case .q5_K: bg_q5_k_matmul_tiled
        case .q6_K: bg_q6_k_matmul_tiled
        case .iq4_xs: bg_iq4_xs_matmul_tiled
        default: nil
        }
    }

    /// The kernel that gives `type`'s leading prompt rows llama.cpp's prompt order, with how many rows of `prompt`
    /// it takes; nil where that order is `vec_dot`'s.
    static func promptKernel(_ type: GGMLType, _ prompt: PromptRows) -> (kernel: BlockKernel, rows: Int)? {
        if type == .iq4_nl { return prompt.llamafile > 0 ? (bg_iq4_nl_matmul_llamafile, prompt.llamafile) : nil }
        guard prompt.tiled > 0, let kernel = tiledKernel(type) else { return nil }
        return (kernel, prompt.tiled)
    }

    /// Weight rows `range` of a type with a decoded-row kernel × the prepared activation rows `activationRows`
    /// (all of them by default).
    @inline(__always)
    static func decoded(
        _ kernel: BlockKernel, _ weight: WeightMatrix, rows range: Range<Int>, activations: PreparedActivations,
        activationRows: Range<Int>? = nil, output: UnsafeMutablePointer<Float>
    ) {
        let part = activationRows ?? 0..<activations.count
        kernel(
            weight.base.assumingMemoryBound(to: UInt8.self), weight.rowBytes, range.lowerBound, range.upperBound,
            activations.row(part.lowerBound).assumingMemoryBound(to: UInt8.self), activations.rowBytes, part.count,
            weight.columns / weight.type.blockSize, output + part.lowerBound * weight.rows, weight.rows)
    }

    /// `blocks` blocks of 256 floats quantized into `Q8KBlock`s, exactly as `Q8KBlock.quantize` does.
    @inline(__always)
    static func quantizeQ8_K(_ input: UnsafePointer<Float>, into output: UnsafeMutableRawPointer, blocks: Int) {
        bg_quantize_q8_k(input, output.assumingMemoryBound(to: UInt8.self), blocks)
    }

    /// The C signature the block-quantized kernels share: weights and their row bytes, the row range, the prepared
    /// activations with their row bytes and count, blocks (of the weight type's block size) per row, the output and
    /// its stride.
    typealias BlockKernel =
        @convention(c) (
            UnsafePointer<UInt8>?, Int, Int, Int, UnsafePointer<UInt8>?, Int, Int, Int, UnsafeMutablePointer<Float>?,
            Int
        ) -> Void

    /// Calls a block-quantized `kernel` on weight rows `range` × every prepared activation row.
    @inline(__always)
    private static func blocks(
        _ kernel: BlockKernel, _ weight: WeightMatrix, rows range: Range<Int>, activations: PreparedActivations,
        output: UnsafeMutablePointer<Float>
    ) {
        kernel(
            weight.base.assumingMemoryBound(to: UInt8.self), weight.rowBytes, range.lowerBound, range.upperBound,
            activations.storage.assumingMemoryBound(to: UInt8.self), activations.rowBytes, activations.count,
            weight.columns / weight.type.blockSize, output, weight.rows)
    }

    /// `blocks` blocks of 32 floats quantized into Q8_1 blocks, exactly as `Q8Block.quantizeQ8_1` does.
    @inline(__always)
    static func quantizeQ8_1(_ input: UnsafePointer<Float>, into output: UnsafeMutableRawPointer, blocks: Int) {
        bg_quantize_q8_1(input, output.assumingMemoryBound(to: UInt8.self), blocks)
    }

    /// `blocks` blocks of 32 floats quantized into `Q8Block`s, exactly as `Q8Block.quantize` does.
    @inline(__always)
    static func quantizeQ8_0(_ input: UnsafePointer<Float>, into output: UnsafeMutableRawPointer, blocks: Int) {
        bg_quantize_q8_0(input, output.assumingMemoryBound(to: UInt8.self), blocks)
    }

    /// F16 weight rows `range` × every activation row prepared as F16-rounded floats (`halvesWidened`).
    @inline(__always)
    static func f16(
        _ weight: WeightMatrix, rows range: Range<Int>, activations: PreparedActivations,
        output: UnsafeMutablePointer<Float>
    ) {
        bg_f16_matmul(
            weight.base.assumingMemoryBound(to: UInt16.self), range.lowerBound, range.upperBound,
            activations.storage.assumingMemoryBound(to: Float.self), activations.count, weight.columns, output,
            weight.rows)
    }

    /// BF16 weight rows `range` × every prepared BF16 activation row.
    @inline(__always)
    static func bf16(
        _ weight: WeightMatrix, rows range: Range<Int>, activations: PreparedActivations,
        output: UnsafeMutablePointer<Float>
    ) {
        bg_bf16_matmul(
            weight.base.assumingMemoryBound(to: UInt16.self), range.lowerBound, range.upperBound,
            activations.storage.assumingMemoryBound(to: UInt16.self), activations.count, weight.columns, output,
            weight.rows)
    }

    /// `count` floats rounded to the nearest half and widened back, from `input` to `output`.
    @inline(__always)
    static func roundThroughF16(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int) {
        bg_round_through_f16(input, output, count)
    }
}
