/// The weights of one transformer block.
public struct LayerWeights: Sendable {
    /// RMSNorm weight before attention.
    public let attentionNorm: [Float]
    /// Query projection (dim → query dim); for the original Qwen, the first rows of the fused `attn_qkv`.
    public let query: WeightMatrix
    /// Key projection (dim → kv dim).
    public let key: WeightMatrix
    /// Value projection (dim → kv dim).
    public let value: WeightMatrix
    /// Query, key and value biases (qwen2, and qwen's fused bias cut in three), or nil.
    public let queryBias: [Float]?, keyBias: [Float]?, valueBias: [Float]?
    /// RMSNorm weights applied to each query and each key head before RoPE (qwen3; head width long), or nil.
    public let queryNorm: [Float]?, keyNorm: [Float]?
    /// Attention output projection (query dim → dim).
    public let attentionOutput: WeightMatrix
    /// RMSNorm weight before the feed-forward network.
    public let feedForwardNorm: [Float]
    /// SwiGLU gate, up and down projections.
    public let gate: WeightMatrix, up: WeightMatrix, down: WeightMatrix
}
