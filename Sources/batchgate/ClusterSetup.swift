import BatchgateConfig
import Foundation
import Gateway
import Logging
import Metrics
import StateStore

/// Maps the configuration's `cluster:` section to a state store: where it is, the password (from a file or an
/// environment variable, never the YAML), the node's name, and the usage recorder.
enum ClusterSetup {
    /// Why the store's settings cannot be used.
    struct SetupError: Error, CustomStringConvertible {
        let description: String
    }

    /// The default data directory: `$XDG_STATE_HOME/batchgate`, else `~/.local/state/batchgate`.
    static var defaultDataDirectory: String {
        let base =
            ProcessInfo.processInfo.environment["XDG_STATE_HOME"]
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".local/state")
        return (base as NSString).appendingPathComponent("batchgate")
    }

    /// Where the store is for `cluster`; `fallbackDirectory` replaces the default data directory (the demo's cache).
    static func location(_ cluster: BatchgateConfiguration.Cluster, fallbackDirectory: String? = nil) throws
        -> StateStoreLocation
    {
        guard let database = cluster.database else {
            let directory = cluster.dataDirectory ?? fallbackDirectory ?? defaultDataDirectory
            return .sqlite(path: (directory as NSString).appendingPathComponent(StateStoreLocation.sqliteFileName))
        }
        return .postgres(
            PostgresSettings(
                host: database.host, port: database.port, user: database.user, database: database.name,
                password: try password(cluster), tls: database.tls == .disable ? .disable : .verifyFull))
    }

    /// The database password from `password_file` (its first line) or `password_env`; nil when neither is set.
    static func password(_ cluster: BatchgateConfiguration.Cluster) throws -> String? {
        if let file = cluster.passwordFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw SetupError(description: "cluster.password_file: cannot read \(file)")
            }
            return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        }
        if let name = cluster.passwordEnvironment {
            guard let value = ProcessInfo.processInfo.environment[name] else {
                throw SetupError(description: "cluster.password_env: the environment has no variable \(name)")
            }
            return value
        }
        return nil
    }

    /// The node's name: `node_name`, else the host name.
    static func nodeName(_ cluster: BatchgateConfiguration.Cluster) -> String {
        cluster.nodeName ?? ProcessInfo.processInfo.hostName
    }

    /// Opens the store (applying migrations) and makes the usage recorder, counting drops with `factory`.
    static func open(
        _ cluster: BatchgateConfiguration.Cluster, listener: BatchgateConfiguration.Listener,
        fallbackDirectory: String?, factory: any MetricsFactory, logger: Logger
    ) async throws -> ClusterState {
        let advertised = cluster.advertiseAddress ?? "\(listener.host):\(listener.port)"
        let location = try location(cluster, fallbackDirectory: fallbackDirectory)
        let store = try await location.open(logger: logger)
        logger.info("state store: \(location.summary), schema version \(SchemaMigrations.latest)")
        let dropped = UsageMetrics.droppedCounter(factory: factory)
        let storeUp = UsageMetrics.storeUpGauge(factory: factory)
        storeUp.record(1)
        let recorder = UsageRecorder(
            store: store, capacity: cluster.usageBuffer, logger: logger,
            onDrop: { count in dropped.increment(by: count) })
        var leases: LeaseKeeper?
        if cluster.database != nil {
            leases = LeaseKeeper(
                store: store,
                settings: LeaseSettings(
                    leaseTime: cluster.leaseTime, sliceFraction: cluster.leaseFraction,
                    onDatabaseLoss: cluster.onDatabaseLoss == .failOpen ? .failOpen : .failClosed),
                logger: logger, node: nodeName(cluster), onStoreChange: { up in storeUp.record(up ? 1 : 0) })
        }
        let membership = cluster.database == nil ? nil : (address: advertised, interval: cluster.heartbeatInterval)
        return ClusterState(
            nodeName: nodeName(cluster), store: store, usage: recorder, leases: leases, membership: membership)
    }

    /// Routing between nodes for `state`, when `configuration` has PostgreSQL and `cluster.peer_secret_file`; made
    /// after the runtime, whose TLS store writes a self-signed certificate the peers may be trusted by.
    static func routing(
        _ configuration: BatchgateConfiguration, state: ClusterState, factory: any MetricsFactory, logger: Logger
    ) throws -> PeerRouting? {
        let cluster = configuration.cluster
        guard cluster.database != nil, let secret = cluster.peerSecretFile else { return nil }
        logger.info("routing between nodes: on (peers read every \(cluster.heartbeatInterval))")
        return PeerRouting(
            directory: PeerDirectory(
                node: state.nodeName, store: state.store, interval: cluster.heartbeatInterval, logger: logger),
            credential: try PeerCredential(file: secret, node: state.nodeName),
            proxy: try PeerProxy(
                listener: configuration.listener, tls: configuration.tls, peerCAFile: cluster.peerCAFile),
            factory: factory)
    }
}
