/// What one metric family means, for its `# HELP` line, and for a histogram the bucket bounds that fit its quantity.
/// Each module lists its own families; the gateway's metrics factory reads the lists.
public struct MetricDescription: Sendable {
    /// A histogram's bucket upper bounds: in seconds for a timer, plain values for an aggregated recorder.
    public enum Buckets: Sendable {
        /// Not a histogram.
        case none
        /// Upper bounds in seconds (a swift-metrics `Timer`).
        case seconds([Double])
        /// Upper bounds as values (an aggregated swift-metrics `Recorder`).
        case values([Double])
    }

    /// The family name, as `/metrics` shows it.
    public let name: String
    /// One sentence: what is counted or measured, and its unit.
    public let help: String
    /// The histogram buckets, if it is one.
    public let buckets: Buckets

    /// A description of family `name`.
    public init(_ name: String, _ help: String, buckets: Buckets = .none) {
        self.name = name
        self.help = help
        self.buckets = buckets
    }
}

extension MetricDescription {
    /// Step times: from a millisecond (a decode step of a tiny model) to 10 s (a long prefill on a large one).
    static let stepSeconds: [Double] = [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10,
    ]
    /// Time in the queue: up to 10 min, the longest a request may run.
    static let queueSeconds: [Double] = [
        0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600,
    ]

    /// The scheduler's families (one set per model, labelled `model`).
    public static let scheduler: [MetricDescription] = [
        .init(
            "batchgate_batch_size", "Sequences in one step (prompt chunks plus decodes), one sample per step.",
            buckets: .values([1, 2, 4, 8, 16, 32, 64, 128, 256, 512])),
        .init(
            "batchgate_step_duration_seconds", "Time from sending a step to a worker to having its result, in seconds.",
            buckets: .seconds(stepSeconds)),
        .init("batchgate_step_prefill_tokens_total", "Prompt tokens sent to workers in steps (prefill)."),
        .init("batchgate_step_decode_tokens_total", "Decode positions sent to workers in steps (one per sequence)."),
        .init("batchgate_num_requests_waiting", "Requests waiting in the model's queue."),
        .init("batchgate_num_requests_running", "Sequences running on the model's workers."),
        .init("batchgate_num_preemptions_total", "Sequences preempted for KV blocks (recomputed later)."),
        .init("batchgate_worker_restarts_total", "Worker processes restarted after an exit, a signal or a stall."),
        .init(
            "batchgate_worker_hangs_total",
            "Worker processes killed for hanging: heartbeat stale or a step past its deadline, the process still there."
        ),
        .init(
            "batchgate_poisoned_requests_total",
            "Requests refused after their sequence was in flight on too many workers that died."),
        .init(
            "batchgate_request_queue_time_seconds", "Time a request waited before its first prompt chunk, in seconds.",
            buckets: .seconds(queueSeconds)),
        .init(
            "batchgate_kv_cache_usage_perc",
            "Fraction of the model's KV cache blocks in use, 0 to 1, over its live workers."),
        .init("batchgate_kv_blocks_used", "KV cache blocks held by sequences on one worker."),
        .init("batchgate_kv_blocks_free", "KV cache blocks free on one worker (0 while it is down)."),
        .init("batchgate_worker_up", "1 while the worker is live (said hello and has not died since), else 0."),
        .init("batchgate_prefix_cache_queries_total", "Prompts looked up in the prefix cache (one per admission)."),
        .init("batchgate_prefix_cache_hit_tokens_total", "Prompt tokens found in the prefix cache, not recomputed."),
        .init("batchgate_prefix_cache_evictions_total", "Cached KV blocks evicted to make room."),
        .init("batchgate_prefix_cache_blocks", "Idle KV blocks one worker keeps for prompts that start the same way."),
    ]
}
