import NIOCore
import NIOTLS
import Synchronization

/// The number of connections of one listener whose TLS handshake has not finished, against its bound
/// (`listener.max_pending_handshakes`). Shared by every connection of the listener, on any event loop.
final class PendingHandshakes: Sendable {
    /// The bound.
    let limit: Int
    private let count = Atomic(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a place; false (and nothing taken) when all `limit` places are taken.
    func enter() -> Bool {
        var current = count.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = count.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Gives back a place taken by `enter()`.
    func leave() { count.subtract(1, ordering: .relaxed) }

    /// The places taken now.
    var current: Int { count.load(ordering: .relaxed) }
}

/// Bounds a new connection's TLS handshake: the connection is closed at once when `pending` is full, and closed when
/// its handshake has not finished within `timeout` of its acceptance (a TCP connection that never sends a
/// ClientHello otherwise stays open for ever: the header and idle timeouts only start once TLS and ALPN are done).
/// It sits right behind the TLS handler, whose handshake-completed event it waits for, and removes itself then.
final class HandshakeGuardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private let pending: PendingHandshakes
    private var timer: Scheduled<Void>?
    /// Whether this connection holds a place in `pending` (given back exactly once).
    private var holdsPlace = false

    init(timeout: TimeAmount, pending: PendingHandshakes) {
        self.timeout = timeout
        self.pending = pending
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        guard pending.enter() else {
            // Closed right after the connection's setup, not during it: a setup that fails is reported to the
            // listening channel, where it can end the stream of new connections.
            context.eventLoop.execute { channel.close(promise: nil) }
            return
        }
        holdsPlace = true
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            finish()
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Stops the timer and gives the place back, once.
    private func finish() {
        timer?.cancel()
        timer = nil
        if holdsPlace {
            holdsPlace = false
            pending.leave()
        }
    }
}
