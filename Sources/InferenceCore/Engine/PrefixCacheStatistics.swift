/// Running totals of a KV cache's prefix cache, for the worker to report and the gateway to export.
public struct PrefixCacheStatistics: Sendable, Equatable {
    /// Prompts looked up (one per sequence whose prompt starts at position 0).
    public var queries = 0
    /// Prompt tokens found in cached blocks and not computed again.
    public var hitTokens = 0
    /// Cached blocks given up to make room (or to keep the idle share under its bound).
    public var evictions = 0

    /// All zero.
    public init() {}
}
