import Basics
import Metrics
import Synchronization

/// The gateway's request metrics (the scheduler reports queue, batch and worker metrics itself), through one
/// swift-metrics factory so that `/metrics` can render them from its registry. Names follow vLLM's where a
/// dashboard author would look for them (Docs/metrics.md maps them), with `batchgate_` for `vllm:`.
public final class GatewayMetrics: Sendable {
    private let factory: any MetricsFactory
    private let perModel: Mutex<[String: ModelMetrics]> = Mutex([:])
    private let perKey: Mutex<[String: KeyMetrics]> = Mutex([:])
    private let statuses: Mutex<[String: Counter]> = Mutex([:])

    /// The listeners' bounds hit, and the connections open.
    public let frontDoor: FrontDoorMetrics

    /// Metrics made by `factory`.
    public init(factory: any MetricsFactory) {
        self.factory = factory
        frontDoor = FrontDoorMetrics(factory: factory)
    }

    /// The label of a request that no key was authenticated for.
    public static let noKey = "-"

    /// The histograms and counters of one model.
    struct ModelMetrics {
        let timeToFirstToken: Metrics.Timer
        let interTokenLatency: Metrics.Timer
        let endToEnd: Metrics.Timer
        let promptTokens: Counter
        let generationTokens: Counter
    }

    /// The counters of one key on one model, labelled with the key's name (never its secret): the label's values are
    /// bounded by the configured keys times the served models.
    struct KeyMetrics {
        let requests: Counter
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
                    label: "batchgate_e2e_request_latency_seconds", dimensions: dimensions, factory: factory),
                promptTokens: Counter(label: "batchgate_prompt_tokens_total", dimensions: dimensions, factory: factory),
                generationTokens: Counter(
                    label: "batchgate_generation_tokens_total", dimensions: dimensions, factory: factory))
            models[name] = made
            return made
        }
    }

    func key(_ name: String?, model: String) -> KeyMetrics {
        let name = name ?? Self.noKey
        return perKey.withLock { keys in
            let id = "\(name)\u{0}\(model)"
            if let existing = keys[id] { return existing }
            let dimensions = [("key", name), ("model", model)]
            let made = KeyMetrics(
                requests: Counter(label: "batchgate_key_requests_total", dimensions: dimensions, factory: factory),
                promptTokens: Counter(
                    label: "batchgate_key_prompt_tokens_total", dimensions: dimensions, factory: factory),
                generationTokens: Counter(
                    label: "batchgate_key_generation_tokens_total", dimensions: dimensions, factory: factory))
            keys[id] = made
            return made
        }
    }

    /// Counts prompt tokens of a request of `key` (its name) admitted to `model`.
    func admitted(model: String, key: String?, promptTokens: Int) {
        self.model(model).promptTokens.increment(by: promptTokens)
        self.key(key, model: model).promptTokens.increment(by: promptTokens)
    }

    /// Counts one finished request of `model` (empty when the request named none we serve) with HTTP `status`,
    /// by model and status, and by `key` (nil when none was authenticated).
    public func request(model: String, status: Int, key: String? = nil) {
        let id = "\(model)\u{0}\(status)"
        let counter = statuses.withLock { counters in
            if let existing = counters[id] { return existing }
            let made = Counter(
                label: "batchgate_requests_total", dimensions: [("model", model), ("status", "\(status)")],
                factory: factory)
            counters[id] = made
            return made
        }
        counter.increment()
        self.key(key, model: model).requests.increment()
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
