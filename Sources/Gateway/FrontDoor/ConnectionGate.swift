import NIOCore
import Synchronization

/// The connections open on one listener, in total and per client address, against `listener.max_connections` and
/// `listener.max_connections_per_client`. Shared by every connection of the listener, on any event loop; touched
/// once when a connection opens and once when it closes, never per request.
final class ConnectionGate: Sendable {
    /// Why a connection was refused.
    enum Refusal: Equatable {
        /// The listener holds `maxConnections` already.
        case total
        /// The client's address holds `maxPerClient` already.
        case perClient
    }

    /// The bound on all connections.
    let maxConnections: Int
    /// The bound per client address; 0 sets none.
    let maxPerClient: Int
    private let total = Atomic(0)
    private let perClient = Mutex<[String: Int]>([:])

    init(maxConnections: Int, maxPerClient: Int) {
        self.maxConnections = maxConnections
        self.maxPerClient = maxPerClient
    }

    /// Takes a place for a connection from `client` (its address without the port; nil when unknown, which only the
    /// total bounds); nil when taken, the refusal (and nothing taken) otherwise.
    func enter(client: String?) -> Refusal? {
        var current = total.load(ordering: .relaxed)
        repeat {
            guard current < maxConnections else { return .total }
            let (exchanged, original) = total.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { break }
            current = original
        } while true
        guard maxPerClient > 0, let client else { return nil }
        let admitted = perClient.withLock { counts in
            let held = counts[client, default: 0]
            guard held < maxPerClient else { return false }
            counts[client] = held + 1
            return true
        }
        if admitted { return nil }
        total.subtract(1, ordering: .relaxed)
        return .perClient
    }

    /// Gives back a place taken by `enter(client:)` with the same `client`.
    func leave(client: String?) {
        total.subtract(1, ordering: .relaxed)
        guard maxPerClient > 0, let client else { return }
        perClient.withLock { counts in
            let held = counts[client, default: 0]
            counts[client] = held > 1 ? held - 1 : nil
        }
    }

    /// Connections open now.
    var current: Int { total.load(ordering: .relaxed) }

    /// Connections open now from `client`.
    func current(client: String) -> Int { perClient.withLock { $0[client, default: 0] } }

    /// The client address of `channel`'s peer, without its port (the key of the per-client bound).
    static func client(of channel: any Channel) -> String? {
        channel.remoteAddress?.ipAddress
    }
}

/// Counts a new connection against the listener's `ConnectionGate` and closes it at once when the gate refuses it,
/// before a byte is read: no TLS handshake, no answer. (An HTTP answer would need the handshake that the bound is
/// there to spare, and a client past a connection bound is more often a flood than a browser.) The connection's
/// place is given back when it closes. It is the first handler of every connection and stays for its life.
final class ConnectionLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let gate: ConnectionGate
    private let metrics: FrontDoorMetrics
    private var client: String?
    /// Whether this connection holds a place (given back exactly once).
    private var holdsPlace = false

    init(gate: ConnectionGate, metrics: FrontDoorMetrics) {
        self.gate = gate
        self.metrics = metrics
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        client = ConnectionGate.client(of: channel)
        if let refusal = gate.enter(client: client) {
            metrics.hit(refusal == .total ? .maxConnections : .maxConnectionsPerClient)
            // Closed right after the connection's setup, not during it: a setup that fails is reported to the
            // listening channel, where it can end the stream of new connections.
            context.eventLoop.execute { channel.close(promise: nil) }
            return
        }
        holdsPlace = true
        metrics.opened()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    /// Gives the place back, once.
    private func release() {
        guard holdsPlace else { return }
        holdsPlace = false
        gate.leave(client: client)
        metrics.closed()
    }
}
