import Basics
import Metrics
import Synchronization

/// The gateway's request metrics (the scheduler reports queue, batch and worker metrics itself), through one
/// swift-metrics factory so that `/metrics` can render them from its registry.
public final class GatewayMetrics: Sendable {
    private let factory: any MetricsFactory
    private let perModel: Mutex<[String: ModelMetrics]> = Mutex([:])
    private let statuses: Mutex<[String: Counter]> = Mutex([:])

    /// Metrics made by `factory`.
    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// The histograms and counters of one model.
    struct ModelMetrics {
        let timeToFirstToken: Metrics.Timer
        let interTokenLatency: Metrics.Timer
        let endToEnd: Metrics.Timer
        let promptTokens: Counter
        let generationTokens: Counter
    }

    func model(_ name: String) -> ModelMetrics {
        perModel.withLock { models in
            if let existing = models[name] { return existing }
            let dimensions = [("model", name)]
            let made = ModelMetrics(
                timeToFirstToken: Metrics.Timer(
                    label: "batchgate_time_to_first_token_seconds", dimensions: dimensions, factory: factory),
                interTokenLatency: Metrics.Timer(
                    label: "batchgate_inter_token_latency_seconds", dimensions: dimensions, factory: factory),
                endToEnd: Metrics.Timer(
                    label: "batchgate_e2e_request_seconds", dimensions: dimensions, factory: factory),
                promptTokens: Counter(label: "batchgate_prompt_tokens_total", dimensions: dimensions, factory: factory),
                generationTokens: Counter(
                    label: "batchgate_generation_tokens_total", dimensions: dimensions, factory: factory))
            models[name] = made
            return made
        }
    }

    /// Counts one finished request of `model` (empty when the request named none we serve) with HTTP `status`.
    public func request(model: String, status: Int) {
        let key = "\(model)\u{0}\(status)"
        let counter = statuses.withLock { counters in
            if let existing = counters[key] { return existing }
            let made = Counter(
                label: "batchgate_requests_total", dimensions: [("model", model), ("status", "\(status)")],
                factory: factory)
            counters[key] = made
            return made
        }
        counter.increment()
    }

    /// Records what `key` has left of its quota on `model` (nil for a limit it does not have).
    public func quotaRemaining(model: String, key: String, requests: Double?, tokens: Double?, inFlight: Int) {
        let dimensions = [("model", model), ("key", key)]
        if let requests {
            Gauge(label: "batchgate_quota_remaining_requests", dimensions: dimensions, factory: factory).record(
                requests)
        }
        if let tokens {
            Gauge(label: "batchgate_quota_remaining_tokens", dimensions: dimensions, factory: factory).record(tokens)
        }
        Gauge(label: "batchgate_quota_concurrent_requests", dimensions: dimensions, factory: factory).record(inFlight)
    }

    /// Counts a quota refusal of `kind` (`requests`, `tokens`, `concurrency`).
    public func quotaRejection(model: String, key: String, kind: String) {
        Counter(
            label: "batchgate_quota_rejections_total", dimensions: [("model", model), ("key", key), ("kind", kind)],
            factory: factory
        ).increment()
    }
}

extension Metrics.Timer {
    /// Records a Swift `Duration`.
    func record(_ duration: Duration) { recordNanoseconds(duration.inNanoseconds) }
}
