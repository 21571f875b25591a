import Metrics
import Prometheus
import Scheduler

/// A swift-metrics factory over a Prometheus registry that gives every family its `# HELP` text and histogram
/// buckets from `MetricDescription` lists. (swift-prometheus's own factory emits no help text and one bucket list
/// for all timers.) A label with no description still works, without a HELP line; the live metrics tests fail then.
public struct DescribedMetricsFactory: MetricsFactory {
    /// The registry the metrics land in.
    public let registry: PrometheusCollectorRegistry
    private let descriptions: [String: MetricDescription]

    /// The default bounds of a timer with no description, in seconds.
    private static let defaultSeconds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// A factory over `registry` describing the gateway's and the scheduler's families.
    public init(
        registry: PrometheusCollectorRegistry, descriptions: [MetricDescription] = MetricDescription.all
    ) {
        self.registry = registry
        self.descriptions = Dictionary(descriptions.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The name `label` with its help text (the name is whole in `metricName`: our labels carry their units).
    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: descriptions[label]?.help ?? "")
    }

    /// A counter.
    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    /// A counter of fractional amounts.
    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)])
        -> any FloatingPointCounterHandler
    {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    /// A histogram of values when `aggregate`, else a gauge.
    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        var buckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256]
        if case .values(let bounds) = descriptions[label]?.buckets { buckets = bounds }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: buckets)
    }

    /// A gauge.
    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    /// A histogram of durations.
    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        var seconds = Self.defaultSeconds
        if case .seconds(let bounds) = descriptions[label]?.buckets { seconds = bounds }
        return registry.makeDurationHistogram(
            descriptor: descriptor(label), labels: dimensions,
            buckets: seconds.map { .nanoseconds(Int64(($0 * 1e9).rounded())) })
    }

    /// Unregisters a counter.
    public func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    /// Unregisters a fractional counter.
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    /// Unregisters a gauge or a value histogram.
    public func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? Histogram<Double> { registry.unregisterValueHistogram(histogram) }
    }

    /// Unregisters a gauge.
    public func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    /// Unregisters a duration histogram.
    public func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? Histogram<Duration> { registry.unregisterDurationHistogram(histogram) }
    }
}

extension MetricDescription {
    /// Every family the gateway process exposes.
    public static var all: [MetricDescription] { scheduler + gateway + frontDoor }
}
