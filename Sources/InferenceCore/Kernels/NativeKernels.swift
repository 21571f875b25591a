import CKernels
import Foundation

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

    /// The C signature the block-quantized kernels share: weights and their row bytes, the row range, the prepared
    /// activations with their row bytes and count, blocks of 32 per row, the output and its stride.
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
            weight.columns / 32, output, weight.rows)
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

    /// `count` floats rounded to the nearest half and widened back, from `input` to `output`.
    @inline(__always)
    static func roundThroughF16(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int) {
        bg_round_through_f16(input, output, count)
    }
}
