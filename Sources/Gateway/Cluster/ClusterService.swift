import Logging
import ServiceLifecycle
import StateStore

/// Runs the node's background work on the state store for the life of the server: the usage recorder's writer
/// and, with PostgreSQL, the lease keeper, the heartbeat and (with routing) the reads of the peers' heartbeats. It is placed first in the service group, so on shutdown it stops last:
/// after the listener has drained, it writes the last usage records and closes the store.
struct ClusterService: Service {
    let cluster: ClusterState
    /// The served models, for the heartbeat.
    let models: [ServedModel]
    let logger: Logger

    func run() async throws {
        let writer = Task { await cluster.usage.run() }
        let leases = cluster.leases.map { keeper in Task { await keeper.run() } }
        let directory = cluster.routing.map { routing in Task { await routing.directory.run() } }
        let beat = cluster.membership.map { membership in
            Task {
                await Heartbeat(
                    node: cluster.nodeName, address: membership.address, models: models, store: cluster.store,
                    interval: membership.interval, logger: logger
                ).run()
            }
        }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await writer.value
            } onGracefulShutdown: {
                beat?.cancel()
                directory?.cancel()
                leases?.cancel()
                writer.cancel()
            }
        } onCancel: {
            beat?.cancel()
            leases?.cancel()
            writer.cancel()
        }
        await beat?.value
        await directory?.value
        await cluster.routing?.proxy.shutdown()
        await leases?.value
        await cluster.store.close()
    }
}
