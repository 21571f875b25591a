import Foundation
import Prometheus
import ServiceLifecycle
import Synchronization

/// The operator's live page: its sessions, the last requests, and a ring of one-second ticks of the metrics
/// registry (15 minutes). `run()` samples the registry once a second as a service of the gateway.
public final class Dashboard: Service, Sendable {
    let sessions = DashboardSessions()
    let recent = RecentRequests()
    let registry: PrometheusCollectorRegistry
    /// The models, in configuration order.
    let models: [String]
    /// Ticks kept: 15 minutes and one, so that the oldest point has a rate.
    let capacity: Int
    private let ticks: Mutex<[DashboardTick]> = Mutex([])
    /// Bumped on every tick, so that event streams wait for the next one.
    private let generation = Atomic<Int>(0)

    /// A dashboard over `registry` for `models`, keeping `capacity` one-second ticks.
    public init(registry: PrometheusCollectorRegistry, models: [String], capacity: Int = 901) {
        self.registry = registry
        self.models = models
        self.capacity = capacity
    }

    /// Reads the registry now and keeps the tick.
    func sample(at time: Double = Date().timeIntervalSince1970) {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        let tick = ExpositionReader.tick(String(decoding: bytes, as: UTF8.self), time: time)
        ticks.withLock { ticks in
            ticks.append(tick)
            if ticks.count > capacity { ticks.removeFirst(ticks.count - capacity) }
        }
        generation.add(1, ordering: .releasing)
    }

    /// The ticks, oldest first.
    var history: [DashboardTick] { ticks.withLock { $0 } }

    /// How many ticks were taken so far.
    var tickCount: Int { generation.load(ordering: .acquiring) }

    /// Samples once a second until graceful shutdown (then returns, so the group goes on draining the rest).
    public func run() async throws {
        sample()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            sample()
        }
    }
}
