import CKernels
import Foundation

/// The element-wise steps of the forward pass, each computed as ggml's CPU backend computes it.
enum TransformerMath {
    /// RMSNorm then the weight: the sum of squares in `Double`, `1 / sqrtf(mean + eps)` in `Float`
    /// (`ggml_compute_forward_rms_norm_f32` followed by `ggml_mul`).
    @_optimize(speed)
    static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: [Float], epsilon: Float, into y: UnsafeMutablePointer<Float>
    ) {
        let n = weight.count
        var sum: Double = 0
        for i in 0..<n { sum += Double(x[i] * x[i]) }
        let mean = Float(sum / Double(n))
        let scale = 1 / (mean + epsilon).squareRoot()
        for i in 0..<n { y[i] = (x[i] * scale) * weight[i] }
    }

    /// `silu(gate) * up`, in place into `gate`; eight lanes at a time with the C kernels (ggml also computes SiLU
    /// with a vector exponential there), else with libm's `expf`.
    @_optimize(speed)
    static func swiGLU(_ gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        if NativeKernels.available { return bg_silu_mul(gate, up, count) }
        for i in 0..<count {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// The RoPE cos/sin pairs for `position` without frequency factors or YaRN (`RopeParameters.table`): theta
    /// starts at the position and is multiplied by `powf(base, -2 / dims)` pair after pair, in `Float`; linear
    /// scaling multiplies each theta by `frequencyScale`.
    static func ropeTable(
        position: Int, dimensions: Int, base: Float, frequencyScale: Float, into table: UnsafeMutablePointer<Float>
    ) {
        RopeParameters(dimensions: dimensions, base: base, frequencyScale: frequencyScale)
            .table(position: position, into: table)
    }

    /// Rotates one head of `dimensions` values with `table`: adjacent pairs (llama) or the two halves (NeoX, qwen2).
    @_optimize(speed)
    static func rope(_ x: UnsafeMutablePointer<Float>, dimensions: Int, table: UnsafePointer<Float>, neox: Bool) {
        let half = dimensions / 2
        for i in 0..<half {
            let (a, b) = neox ? (i, i + half) : (2 * i, 2 * i + 1)
            let c = table[2 * i]
            let s = table[2 * i + 1]
            let x0 = x[a]
            let x1 = x[b]
            // llama.cpp's build contracts these into fused multiply-adds, the first product fused with the
            // second one rounded: fma(x0, c, -(x1 * s)) and fma(x0, s, x1 * c).
            x[a] = (-(x1 * s)).addingProduct(x0, c)
            x[b] = (x1 * c).addingProduct(x0, s)
        }
    }
}
