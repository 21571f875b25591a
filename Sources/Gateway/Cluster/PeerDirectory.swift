import Basics
import Foundation
import Logging
import StateStore
import Synchronization

/// This node's view of its peers, read from the membership table in the background (`run`) so that choosing a peer
/// never waits for the store. A peer is a member other than this node whose heartbeat is fresh: seen within
/// `freshness` (three heartbeat intervals). Between two reads the view is adjusted by what this node does: a request
/// sent to a peer counts in its queue, and a peer that could not be reached is left out until the next read that
/// shows a newer heartbeat of it.
public final class PeerDirectory: Sendable {
    /// This node's name (never its own peer).
    public let node: String
    /// How old a heartbeat may be for its node to count.
    public let freshness: Duration
    private let store: any StateStore
    private let interval: Duration
    private let logger: Logger

    private struct View {
        var members: [Member] = []
        /// Requests this node sent to each peer since the last read.
        var sent: [String: Int] = [:]
        /// Peers that failed, with the heartbeat time they had then: left out until a newer one is read.
        var unreachable: [String: Date] = [:]
    }
    private let view = Mutex(View())

    /// A directory of `node`'s peers in `store`, read every `interval`; members older than three intervals are
    /// left out.
    public init(node: String, store: any StateStore, interval: Duration, logger: Logger) {
        self.node = node
        self.store = store
        self.interval = interval
        self.logger = logger
        freshness = interval * 3
    }

    /// Reads the membership table once; on failure the last view stays (its members age out by their time).
    public func refresh(now: Date = Date()) async {
        do {
            let members = try await store.members(seenSince: now.addingTimeInterval(-freshness.inSeconds))
            replace(members)
        } catch {
            logger.debug("membership not read: \(error)")
        }
    }

    /// Replaces the view with `members` (a read of the table).
    func replace(_ members: [Member]) {
        view.withLock { view in
            let peers = members.filter { $0.node != node }
            view.members = peers
            view.sent = [:]
            view.unreachable = view.unreachable.filter { failed in
                peers.contains { $0.node == failed.key && $0.seenAt <= failed.value }
            }
        }
    }

    /// Reads the table every `interval` until cancelled.
    func run() async {
        while !Task.isCancelled {
            await refresh()
            try? await Task.sleep(for: interval)
        }
    }

    /// The fresh, reachable peers that serve `model`, best first: the shortest queue (counting what this node sent
    /// since the last read), then the most free KV blocks, then the name.
    public func candidates(for model: String, now: Date = Date()) -> [Member] {
        let oldest = now.addingTimeInterval(-freshness.inSeconds)
        return view.withLock { view in
            view.members.filter { member in
                member.seenAt >= oldest && member.models.contains(model) && member.workers > 0
                    && view.unreachable[member.node] == nil
            }.map { member in
                var member = member
                member.queueDepth += view.sent[member.node] ?? 0
                return member
            }
        }.sorted { a, b in
            if a.queueDepth != b.queueDepth { return a.queueDepth < b.queueDepth }
            if a.freeKVBlocks != b.freeKVBlocks { return a.freeKVBlocks > b.freeKVBlocks }
            return a.node < b.node
        }
    }

    /// The models the fresh peers with a live worker serve (what a request could be forwarded for), each once, sorted.
    public func models(now: Date = Date()) -> [String] {
        let oldest = now.addingTimeInterval(-freshness.inSeconds)
        let names = view.withLock { view in
            view.members.filter { $0.seenAt >= oldest && $0.workers > 0 }.flatMap(\.models)
        }
        return Set(names).sorted()
    }

    /// A request went to `peer`.
    func sent(to peer: String) {
        view.withLock { $0.sent[peer, default: 0] += 1 }
    }

    /// `peer` could not be reached: leave it out until a newer heartbeat of it is read.
    func unreachable(_ peer: String) {
        view.withLock { view in
            view.unreachable[peer] = view.members.first { $0.node == peer }?.seenAt ?? Date()
        }
    }
}
