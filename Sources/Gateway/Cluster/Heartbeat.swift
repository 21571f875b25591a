import Foundation
import Logging
import StateStore

/// Writes this node's row in the membership table: its models, live workers, queue depth and free KV blocks, so
/// that peers can route to it. A failed write is retried at the next beat (the store reconnects with back-off).
struct Heartbeat: Sendable {
    /// The node's name and the address peers reach it at.
    let node: String
    let address: String
    let models: [ServedModel]
    let store: any StateStore
    let interval: Duration
    let logger: Logger

    /// This node as its heartbeat describes it now.
    func member(at date: Date = Date()) -> Member {
        let snapshots = models.map { $0.scheduler.snapshot }
        return Member(
            node: node, address: address, models: models.map(\.name),
            workers: snapshots.reduce(0) { $0 + $1.liveWorkers }, queueDepth: snapshots.reduce(0) { $0 + $1.waiting },
            freeKVBlocks: snapshots.reduce(0) { $0 + $1.kvBlocksFree.reduce(0, +) }, seenAt: date)
    }

    /// Beats until cancelled.
    func run() async {
        while !Task.isCancelled {
            do {
                try await store.heartbeat(member())
            } catch {
                logger.debug("heartbeat not written: \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }
}
