/// The batching limits of one model (from its configuration entry).
public struct SchedulerLimits: Sendable, Equatable {
    /// Token budget of one step: decodes plus prefill chunks.
    public var maxBatchTokens: Int
    /// Most sequences running on one worker at once.
    public var maxRunning: Int
    /// Most requests waiting (resumed sequences are not counted against it).
    public var maxQueue: Int
    /// A request waiting longer than this is refused with `queueTimeout`.
    public var queueTimeout: Duration
    /// The inter-token time a step's prompt tokens may not push decoding sequences past, by the measured step cost
    /// (zero: no cap beyond `maxBatchTokens`).
    public var targetITL: Duration
    /// How long the model may have no live worker before requests get `modelUnavailable`.
    public var unavailableGrace: Duration
    /// Half-life of the token counts fair share compares: how far back "recently" reaches (zero turns fair
    /// share off: first come, first served within a priority).
    public var fairShareHalfLife: Duration
    /// Running slots per worker kept free for other tenants while one tenant holds the rest and another
    /// tenant has been seen within `fairShareHalfLife` (0 turns the headroom off).
    public var tenantHeadroomSlots: Int
    /// The largest `Step` message a worker link carries (`WorkerLauncher.maxStepBytes`): steps are planned to fit,
    /// and a request whose first chunk could never fit is refused at submission.
    public var maxStepBytes: Int
    /// With two or more workers, a request waits for the worker that holds the longest cached prefix of its prompt
    /// when that is at least this many tokens longer than another worker's (0 turns prefix placement off).
    public var prefixAffinityMinTokens: Int
    /// A request that has waited this long goes to any worker, whatever it holds.
    public var prefixAffinityMaxWait: Duration
    /// Whether the model's workers cache prompt prefixes: then a prompt chunk that does not finish its prompt ends
    /// on a KV block boundary (when it is longer than a block), so that the next chunk can go on reusing cached
    /// blocks; off, chunks fill the step's budget exactly.
    public var prefixCaching: Bool

    /// Creates limits; the defaults are the configuration's, except `prefixCaching`, off unless the caller (the
    /// gateway, from `models[].prefix_cache`) says its workers cache prefixes.
    public init(
        maxBatchTokens: Int = 512, maxRunning: Int = 16, maxQueue: Int = 256, queueTimeout: Duration = .seconds(30),
        targetITL: Duration = .zero,
        unavailableGrace: Duration = .seconds(30), fairShareHalfLife: Duration = .seconds(10),
        tenantHeadroomSlots: Int = 1, maxStepBytes: Int = .max, prefixAffinityMinTokens: Int = 64,
        prefixAffinityMaxWait: Duration = .seconds(1), prefixCaching: Bool = false
    ) {
        self.maxBatchTokens = maxBatchTokens
        self.maxRunning = maxRunning
        self.maxQueue = maxQueue
        self.queueTimeout = queueTimeout
        self.targetITL = targetITL
        self.unavailableGrace = unavailableGrace
        self.fairShareHalfLife = fairShareHalfLife
        self.tenantHeadroomSlots = tenantHeadroomSlots
        self.maxStepBytes = maxStepBytes
        self.prefixAffinityMinTokens = prefixAffinityMinTokens
        self.prefixAffinityMaxWait = prefixAffinityMaxWait
        self.prefixCaching = prefixCaching
    }
}
