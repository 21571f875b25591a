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
    let queueTime: Metrics.Timer
    init(model: String, workers: Int) {
        kvBlocks = (0..<workers).map { index in
            let dimensions = [("model", model), ("worker", "\(index)")]
            return (
                Gauge(label: "batchgate_kv_blocks_used", dimensions: dimensions),
                Gauge(label: "batchgate_kv_blocks_free", dimensions: dimensions)
            )
        }
        let dimensions = [("model", model)]
        stepSequences = Recorder(label: "batchgate_step_batch_sequences", dimensions: dimensions, aggregate: true)
        stepDuration = Metrics.Timer(label: "batchgate_step_duration_seconds", dimensions: dimensions)
        prefillTokens = Counter(label: "batchgate_step_prefill_tokens_total", dimensions: dimensions)
        decodeTokens = Counter(label: "batchgate_step_decode_tokens_total", dimensions: dimensions)
        queueDepth = Gauge(label: "batchgate_queue_depth_requests", dimensions: dimensions)
        running = Gauge(label: "batchgate_running_sequences", dimensions: dimensions)
        preemptions = Counter(label: "batchgate_preemptions_total", dimensions: dimensions)
        workerRestarts = Counter(label: "batchgate_worker_restarts_total", dimensions: dimensions)
        queueTime = Metrics.Timer(label: "batchgate_request_queue_seconds", dimensions: dimensions)
    }

    /// KV block gauges per worker, made once.
    let kvBlocks: [(used: Gauge, free: Gauge)]
}

extension Metrics.Timer {
    /// Records a Swift `Duration`.
    func record(duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
