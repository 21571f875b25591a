import Foundation
import Metrics
import StateStore

/// What the gateway knows of its place in a cluster: its node name, the state store, and the usage recorder that
/// takes every finished request off the response path.
public struct ClusterState: Sendable {
    /// This node's name in usage records and the membership table.
    public var nodeName: String
    /// Usage records, quota leases, membership.
    public var store: any StateStore
    /// Where finished requests go.
    public var usage: UsageRecorder
    /// This node's slices of cluster-wide quotas; nil keeps quotas per node (one node on SQLite).
    public var leases: LeaseKeeper?
    /// Where peers reach this node and how often it says so; nil writes no heartbeat (one node on SQLite).
    public var membership: (address: String, interval: Duration)?
    /// Routing between nodes; nil forwards nothing and refuses forwarded requests.
    public var routing: PeerRouting?

    /// Creates the state.
    public init(
        nodeName: String, store: any StateStore, usage: UsageRecorder, leases: LeaseKeeper? = nil,
        membership: (address: String, interval: Duration)? = nil
    ) {
        self.nodeName = nodeName
        self.store = store
        self.usage = usage
        self.leases = leases
        self.membership = membership
    }

    /// Whether the store answered last time (the lease keeper's view, else the usage writer's).
    public var storeUp: Bool { leases?.storeUp ?? !usage.storeDown }

    /// Records one finished API request (one that named a key and a model, and that no peer answered); never waits.
    func record(_ line: RequestLog) {
        guard let key = line.key, let model = line.model, line.answeredBy == nil else { return }
        usage.record(
            UsageRecord(
                requestID: line.id, key: key, model: model, promptTokens: line.promptTokens,
                cachedTokens: line.cachedTokens, completionTokens: line.completionTokens, status: line.status,
                duration: line.total, node: nodeName, finishedAt: Date()))
    }
}

/// The state store's metrics.
public enum UsageMetrics {
    /// `batchgate_usage_records_dropped_total`: usage records dropped because the buffer was full while the store
    /// was down.
    public static func droppedCounter(factory: any MetricsFactory) -> Counter {
        Counter(label: "batchgate_usage_records_dropped_total", dimensions: [], factory: factory)
    }

    /// `batchgate_state_store_up`: 1 while the store answers, 0 once it is lost.
    public static func storeUpGauge(factory: any MetricsFactory) -> Gauge {
        Gauge(label: "batchgate_state_store_up", dimensions: [], factory: factory)
    }
}
