import Basics
import Metrics
import WorkerProtocol

/// The scheduler's metrics for one model, through swift-metrics (the gateway bootstraps the backend).
struct SchedulerMetrics: Sendable {
    let stepSequences: Recorder
    let stepDuration: Metrics.Timer
    let prefillTokens: Counter
    let decodeTokens: Counter
    let queueDepth: Gauge
    let running: Gauge
    let preemptions: Counter
    let workerRestarts: Counter
    let workerHangs: Counter
    let poisonedSequences: Counter
    let queueTime: Metrics.Timer
    let kvUsage: Gauge
    let prefixQueries: Counter
    let prefixHitTokens: Counter
    let prefixEvictions: Counter

    /// The metrics of `model` with `workers` workers, made by `factory`.
    init(model: String, workers: Int, factory: any MetricsFactory) {
        kvBlocks = (0..<workers).map { index in
            let dimensions = [("model", model), ("worker", "\(index)")]
            return (
                Gauge(label: "batchgate_kv_blocks_used", dimensions: dimensions, factory: factory),
                Gauge(label: "batchgate_kv_blocks_free", dimensions: dimensions, factory: factory)
            )
        }
        workerUp = (0..<workers).map { index in
            Gauge(
                label: "batchgate_worker_up", dimensions: [("model", model), ("worker", "\(index)")], factory: factory)
        }
        let dimensions = [("model", model)]
        stepSequences = Recorder(
            label: "batchgate_batch_size", dimensions: dimensions, aggregate: true, factory: factory)
        stepDuration = Metrics.Timer(label: "batchgate_step_duration_seconds", dimensions: dimensions, factory: factory)
        prefillTokens = Counter(label: "batchgate_step_prefill_tokens_total", dimensions: dimensions, factory: factory)
        decodeTokens = Counter(label: "batchgate_step_decode_tokens_total", dimensions: dimensions, factory: factory)
        queueDepth = Gauge(label: "batchgate_num_requests_waiting", dimensions: dimensions, factory: factory)
        running = Gauge(label: "batchgate_num_requests_running", dimensions: dimensions, factory: factory)
        preemptions = Counter(label: "batchgate_num_preemptions_total", dimensions: dimensions, factory: factory)
        workerRestarts = Counter(label: "batchgate_worker_restarts_total", dimensions: dimensions, factory: factory)
        workerHangs = Counter(label: "batchgate_worker_hangs_total", dimensions: dimensions, factory: factory)
        poisonedSequences = Counter(
            label: "batchgate_poisoned_requests_total", dimensions: dimensions, factory: factory)
        queueTime = Metrics.Timer(
            label: "batchgate_request_queue_time_seconds", dimensions: dimensions, factory: factory)
        kvUsage = Gauge(label: "batchgate_kv_cache_usage_perc", dimensions: dimensions, factory: factory)
        prefixQueries = Counter(
            label: "batchgate_prefix_cache_queries_total", dimensions: dimensions, factory: factory)
        prefixHitTokens = Counter(
            label: "batchgate_prefix_cache_hit_tokens_total", dimensions: dimensions, factory: factory)
        prefixEvictions = Counter(
            label: "batchgate_prefix_cache_evictions_total", dimensions: dimensions, factory: factory)
        prefixCachedBlocks = (0..<workers).map { index in
            Gauge(
                label: "batchgate_prefix_cache_blocks", dimensions: [("model", model), ("worker", "\(index)")],
                factory: factory)
        }
    }

    /// KV block gauges per worker, made once.
    let kvBlocks: [(used: Gauge, free: Gauge)]
    /// Per worker: 1 while it is live (said hello, not died since), else 0.
    let workerUp: [Gauge]
    /// Idle cached KV blocks per worker (free to take, kept for prompts that start the same way).
    let prefixCachedBlocks: [Gauge]

    /// Counts a step's prefix-cache look-ups (one per prompt admitted at position 0), the prompt tokens they found,
    /// the blocks evicted, and sets worker `worker`'s cached-block gauge.
    func recordPrefixCache(_ result: StepResult, worker: Int) {
        var queries = 0
        var tokens = 0
        for hit in result.prefixHits {
            if hit.position == 0 { queries += 1 }
            tokens += Int(hit.cachedTokens)
        }
        if queries > 0 { prefixQueries.increment(by: queries) }
        if tokens > 0 { prefixHitTokens.increment(by: tokens) }
        if result.kvEvictions > 0 { prefixEvictions.increment(by: Int(result.kvEvictions)) }
        prefixCachedBlocks[worker].record(Int(result.kvBlocksCached))
    }
}

extension Metrics.Timer {
    /// Records a Swift `Duration`.
    func record(duration: Duration) {
        recordNanoseconds(duration.inNanoseconds)
    }
}
