import BatchgateConfig
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import Scheduler
import ServiceLifecycle
import Tokenizers

/// A running gateway assembled from a configuration: one scheduler per model with its worker processes, the key
/// store, TLS, metrics, and the HTTP application(s). `serve` runs it; tests run it too.
public struct GatewayRuntime: Sendable {
    /// The configuration file, when there is one (SIGHUP re-reads it).
    public var configurationPath: String?
    /// The configuration in force at start.
    public var configuration: BatchgateConfiguration
    /// The state the responder works on.
    public var state: GatewayState
    /// The schedulers, one per model.
    public var schedulers: [ModelScheduler]
    /// TLS, unless the listener is plain HTTP.
    public var tls: TLSCertificateStore?
    /// The service that exports finished spans, when tracing is on.
    public var tracingService: (any Service)?

    /// Assembles the gateway: each model's workers come from the launcher `launchers` makes of its plan (the
    /// executable chooses the transport); metrics go to `registry`.
    public init(
        configuration: BatchgateConfiguration, configurationPath: String?, launchers: WorkerLauncherFactory,
        registry: PrometheusCollectorRegistry, logger: Logger,
        cores: Int = ProcessInfo.processInfo.activeProcessorCount, cluster: ClusterState? = nil
    ) throws {
        let factory = DescribedMetricsFactory(registry: registry)
        var models: [ServedModel] = []
        var schedulers: [ModelScheduler] = []
        let described = try configuration.models.map { (model: $0, description: try ModelDescription($0)) }
        let plans = ModelMemoryPlan.plans(for: described, availableBytes: SystemMemory.availableBytes())
        for ((model, description), plan) in zip(described, plans) {
            logger.info("\(plan.explanation)", metadata: ["model": "\(model.name)"])
            if let warning = description.chatTemplateWarning {
                logger.warning("\(warning)", metadata: ["model": "\(model.name)"])
            }
            let launcher = try launchers(
                WorkerPlan(
                    model: model, threads: model.effectiveThreads(cores: cores), kvCacheMiB: plan.kvCacheMiB,
                    helloTimeout: plan.helloTimeout, vocabularySize: description.tokenizer.vocabularySize,
                    largestStopTokenCount: GenerationPlan.stopTokens(.chat, model: description).count))
            let scheduler = ModelScheduler(
                model: model.name,
                limits: SchedulerLimits(
                    maxBatchTokens: model.maxBatchTokens, maxRunning: model.maxRunning, maxQueue: model.maxQueue,
                    queueTimeout: model.queueTimeout, targetITL: model.targetITL,
                    unavailableGrace: model.unavailableGrace,
                    prefixAffinityMinTokens: model.prefixCache ? 64 : 0, prefixCaching: model.prefixCache),
                workers: model.workers, launcher: launcher, logger: logger, metricsFactory: factory)
            models.append(ServedModel(name: model.name, scheduler: scheduler, description: description))
            schedulers.append(scheduler)
        }
        self.configuration = configuration
        self.configurationPath = configurationPath
        self.schedulers = schedulers
        tls = try configuration.tls.map { try TLSCertificateStore(settings: $0) }
        let metrics = GatewayMetrics(factory: factory)
        state = GatewayState(
            models: models, keys: APIKeyStore(configuration.keys), quotas: QuotaLimiter(metrics: metrics),
            metrics: metrics,
            registry: configuration.metrics.port == nil ? registry : nil, listener: configuration.listener,
            metricsSettings: configuration.metrics, logger: logger,
            dashboard: Dashboard(
                registry: registry, models: models.map(\.name), traceLink: configuration.tracing.traceLink))
        state.cluster = cluster
        if let keeper = cluster?.leases {
            state.quotas = ClusterQuotaPolicy(
                keeper: keeper, keys: configuration.keys, models: models.map(\.name), metrics: metrics)
        }
        metricsRegistry = registry
        if let otlp = try RequestTracing.otlp(configuration.tracing, logger: logger) {
            state.tracing = otlp.tracing
            tracingService = otlp.service
            logger.info("tracing: spans go to \(configuration.tracing.tracesURL ?? "")")
        }
    }

    /// The registry every metric lands in.
    public let metricsRegistry: PrometheusCollectorRegistry

    /// The services to run in one group: the span exporter when tracing is on, the main application (with the
    /// schedulers inside it, so on shutdown it stops accepting first and the schedulers drain after), the metrics
    /// listener when it has its own port, and the SIGHUP reloader.
    public func services(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) throws
        -> [any Service]
    {
        var services: [any Service] = [
            try GatewayServer.application(
                state: state, tls: tls, services: schedulers, onServerRunning: onServerRunning)
        ]
        if let port = configuration.metrics.port, configuration.metrics.enabled {
            var metricsOnly = state
            metricsOnly.registry = metricsRegistry
            metricsOnly.models = []
            metricsOnly.dashboard = nil
            metricsOnly.tracing = nil
            var listener = configuration.listener
            listener.port = port
            metricsOnly.listener = listener
            services.append(try GatewayServer.application(state: metricsOnly, tls: nil))
        }
        services.append(ReloadService(runtime: self))
        if let dashboard = state.dashboard { services.append(dashboard) }
        // First, so that it stops last: the spans of the requests that drain on shutdown are still sent.
        if let tracingService { services.insert(tracingService, at: 0) }
        // First in the group, so it stops last: after the listener drained, it writes the last usage records.
        if let cluster = state.cluster {
            services.insert(ClusterService(cluster: cluster, models: state.models, logger: state.logger), at: 0)
        }
        return services
    }
}
