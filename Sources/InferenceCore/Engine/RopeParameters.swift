import Foundation

/// The constants of ggml's `rope_ext` for one model, as llama.cpp's context derives them from the file, and the
/// cos/sin tables they give.
///
/// Per pair `i` of a head `dimensions` wide, at position `p`: theta = p · base^(−2i/dimensions) (multiplied pair by
/// pair in Float), divided by the pair's frequency factor (`rope_freqs.weight`, Llama 3.1) when there is one. Linear
/// scaling multiplies it by `frequencyScale`. YaRN (`extrapolationFactor` 1) mixes that interpolated angle with the
/// unscaled one by a ramp over the pairs — all unscaled below the first correction dimension, all scaled above the
/// second — and multiplies cos and sin by `magnitudeScale`.
public struct RopeParameters: Sendable {
    /// Rotated values per head.
    public let dimensions: Int
    /// RoPE base frequency.
    public let base: Float
    /// ggml's `freq_scale`: 1 / the scaling factor (1 without scaling).
    public let frequencyScale: Float
    /// ggml's `ext_factor`: 1 for YaRN, else 0.
    public let extrapolationFactor: Float
    /// ggml's `attn_factor`, as llama.cpp's context sets it.
    public let attentionFactor: Float
    /// YaRN's correction dimensions (ggml's `corr_dims`): the pairs where the ramp starts and ends.
    public let correctionDimensions: (low: Float, high: Float)
    /// One divisor of theta per pair (`rope_freqs.weight`), or nil.
    public let frequencyFactors: [Float]?

    /// YaRN's fast and slow rotation counts (llama.cpp's defaults `yarn_beta_fast`, `yarn_beta_slow`).
    static let betaFast: Float = 32, betaSlow: Float = 1

    /// The constants for `hyperparameters`, with `frequencyFactors` from the file's `rope_freqs.weight`.
    public init(hyperparameters h: ModelHyperparameters, frequencyFactors: [Float]? = nil) {
        let scaling = h.ropeScaling
        let yarn = scaling.kind == .yarn
        let frequencyScale = scaling.frequencyScale
        // llama.cpp's context (built without fused multiply-adds): YaRN's attention factor is
        // mscale(factor) / (1 + 0.1 ln factor), which cancels the magnitude ggml's rope multiplies in for itself,
        // leaving 1 up to rounding; then the file's attn_factor.
        var attention: Float = 1
        if yarn {
            let factor = 1 / frequencyScale
            let mscale: Float = factor <= 1 ? 1 : 0.1 * 1 * logf(factor) + 1
            attention = mscale * (1 / (1 + 0.1 * logf(factor)))
        }
        attention *= scaling.attentionFactor
        let originalContext = scaling.originalContextLength ?? h.contextLength
        self.init(
            dimensions: h.headDimension, base: h.ropeFreqBase, frequencyScale: frequencyScale,
            extrapolationFactor: yarn ? 1 : 0, attentionFactor: attention,
            correctionDimensions: Self.correctionDimensions(
                dimensions: h.headDimension, originalContext: originalContext, base: h.ropeFreqBase),
            frequencyFactors: frequencyFactors)
    }

    /// The constants given one by one.
    public init(
        dimensions: Int, base: Float, frequencyScale: Float = 1, extrapolationFactor: Float = 0,
        attentionFactor: Float = 1, correctionDimensions: (low: Float, high: Float) = (0, 0),
        frequencyFactors: [Float]? = nil
    ) {
        self.dimensions = dimensions
        self.base = base
        self.frequencyScale = frequencyScale
        self.extrapolationFactor = extrapolationFactor
        self.attentionFactor = attentionFactor
        self.correctionDimensions = correctionDimensions
        self.frequencyFactors = frequencyFactors
    }

    /// The pair at which a frequency turns `rotations` times over `originalContext` positions (ggml's
    /// `ggml_rope_yarn_corr_dim`), in Float.
    static func correctionDimension(dimensions: Int, originalContext: Int, rotations: Float, base: Float) -> Float {
        Float(dimensions) * logf(Float(originalContext) / (rotations * 2 * Float.pi)) / (2 * logf(base))
    }

    /// YaRN's ramp: from the pair `betaFast` rotations turn at (rounded down, at least 0) to the pair `betaSlow`
    /// rotations turn at (rounded up, at most dimensions − 1).
    static func correctionDimensions(dimensions: Int, originalContext: Int, base: Float) -> (low: Float, high: Float) {
        let start = correctionDimension(
            dimensions: dimensions, originalContext: originalContext, rotations: betaFast, base: base)
        let end = correctionDimension(
            dimensions: dimensions, originalContext: originalContext, rotations: betaSlow, base: base)
        return (max(0, start.rounded(.down)), min(Float(dimensions - 1), end.rounded(.up)))
    }

    /// The magnitude cos and sin are multiplied by: the attention factor, times YaRN's 1 + 0.1 ln(1 / frequencyScale)
    /// (fused as ggml's CPU build computes it).
    public var magnitudeScale: Float {
        guard extrapolationFactor != 0 else { return attentionFactor }
        return attentionFactor * Float(1).addingProduct(0.1, logf(1 / frequencyScale))
    }

    /// Writes the `dimensions / 2` cos/sin pairs for `position` into `table` (`ggml_rope_cache_init`).
    public func table(position: Int, into table: UnsafeMutablePointer<Float>) {
        let thetaScale = powf(base, -2 / Float(dimensions))
        let magnitude = magnitudeScale
        let (low, high) = correctionDimensions
        var theta = Float(position)
        for i in 0..<(dimensions / 2) {
            let extrapolated = frequencyFactors.map { theta / $0[i] } ?? theta
            let interpolated = frequencyScale * extrapolated
            var angle = interpolated
            if extrapolationFactor != 0 {
                let y = (Float(i) - low) / max(0.001, high - low)
                let mix = (1 - min(1, max(0, y))) * extrapolationFactor
                // ggml's build fuses the first product and rounds the second.
                angle = (extrapolated * mix).addingProduct(interpolated, 1 - mix)
            }
            table[2 * i] = cosf(angle) * magnitude
            table[2 * i + 1] = sinf(angle) * magnitude
            theta *= thetaScale
        }
    }
}
