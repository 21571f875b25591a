/// The weights of one transformer block.
public struct LayerWeights: Sendable {
    /// RMSNorm weight before attention.
    public let attentionNorm: [Float]
    /// Query projection (dim → dim).
    public let query: WeightMatrix
    /// Key projection (dim → kv dim).
    public let key: WeightMatrix
    /// Value projection (dim → kv dim).
    public let value: WeightMatrix
    /// Query, key and value biases (qwen2), or nil.
    public let queryBias: [Float]?, keyBias: [Float]?, valueBias: [Float]?
    /// Attention output projection (dim → dim).
    public let attentionOutput: WeightMatrix
    /// RMSNorm weight before the feed-forward network.
    public let feedForwardNorm: [Float]
    /// SwiGLU gate, up and down projections.
    public let gate: WeightMatrix, up: WeightMatrix, down: WeightMatrix
}
