import Basics
import Metrics

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
    let poisonedSequences: Counter
    let queueTime: Metrics.Timer
    let kvUsage: Gauge

    /// The metrics of `model` with `workers` workers, made by `factory`.
    init(model: String, workers: Int, factory: any MetricsFactory) {
        kvBlocks = (0..<workers).map { index in
            let dimensions = [("model", model), ("worker", "\(index)")]
            return (
                Gauge(label: "batchgate_kv_blocks_used", dimensions: dimensions, factory: factory),
                Gauge(label: "batchgate_kv_blocks_free", dimensions: dimensions, factory: factory)
            )
        }
        let dimensions = [("model", model)]
        stepSequences = Recorder(
            label: "batchgate_batch_size", dimensions: dimensions, aggregate: true, factory: factory)
        stepDuration = Metrics.Timer(label: "batchgate_step_duration_seconds", dimensions: dimensions, factory: factory)
        prefillTokens = Counter(label: "batchgate_step_prefill_tokens_total", dimensions: dimensions, factory: factory)
        decodeTokens = Counter(label: "batchgate_step_decode_tokens_total", dimensions: dimensions, factory: factory)
        queueDepth = Gauge(label: "batchgate_requests_waiting", dimensions: dimensions, factory: factory)
        running = Gauge(label: "batchgate_requests_running", dimensions: dimensions, factory: factory)
        preemptions = Counter(label: "batchgate_preemptions_total", dimensions: dimensions, factory: factory)
        workerRestarts = Counter(label: "batchgate_worker_restarts_total", dimensions: dimensions, factory: factory)
        poisonedSequences = Counter(
            label: "batchgate_poisoned_requests_total", dimensions: dimensions, factory: factory)
        queueTime = Metrics.Timer(label: "batchgate_request_queue_seconds", dimensions: dimensions, factory: factory)
        kvUsage = Gauge(label: "batchgate_kv_cache_usage_ratio", dimensions: dimensions, factory: factory)
    }

    /// KV block gauges per worker, made once.
    let kvBlocks: [(used: Gauge, free: Gauge)]
}

extension Metrics.Timer {
    /// Records a Swift `Duration`.
    func record(duration: Duration) {
        recordNanoseconds(duration.inNanoseconds)
    }
}
