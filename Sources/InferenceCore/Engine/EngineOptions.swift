/// How an engine is set up.
public struct EngineOptions: Sendable {
    /// Compute threads, the caller's included.
    public var threads: Int = 2
    /// KV cache capacity in MiB.
    public var kvCacheMiB: Int = 256
    /// Tokens per KV block.
    public var kvBlockSize: Int = 16
    /// Longest sequence (prompt and generated); nil: the model's context length.
    public var contextLength: Int?
    /// F32 weights meet at least this many activation rows through OpenBLAS sgemm (`.max`: never).
    public var blasMinimumRows: Int = 32
    /// Whether full KV blocks are kept after their sequences end and reused by prompts that start with the same
    /// tokens (`PagedKVCache`).
    public var prefixCaching = true
    /// The most of the KV cache (0…1) that idle cached blocks may hold.
    public var prefixCacheMaxShare: Double = 1

    /// As a pipeline's first stage: how many micro-batches a forward pass is cut into (at sequence boundaries), so
    /// that the later stages compute one while this engine computes the next (1: the whole pass at once).
    public var pipelineMicroBatches = 1

    /// The defaults: 2 threads, 256 MiB of KV cache in blocks of 16 tokens, prefix caching on.
    public init() {}
}
