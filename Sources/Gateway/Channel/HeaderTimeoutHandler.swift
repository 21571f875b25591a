import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose first request head has not fully arrived within `timeout` of the connection opening
/// (a client that connects and dribbles its headers holds a connection slot for nothing): a deadline, not a gap
/// between bytes, so a head that trickles in a byte at a time is closed as surely as one that never comes. Later requests on a
/// keep-alive connection are bounded by the idle timeout instead.
final class HeaderTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private let metrics: FrontDoorMetrics?
    private var timer: Scheduled<Void>?
    private var seenHead = false

    /// A deadline of `timeout` from the connection's opening, counted in `metrics` when it closes one.
    init(timeout: TimeAmount, metrics: FrontDoorMetrics? = nil) {
        self.timeout = timeout
        self.metrics = metrics
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        let metrics = metrics
        timer = context.eventLoop.scheduleTask(in: timeout) {
            metrics?.hit(.headerTimeout)
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !seenHead, case .head = unwrapInboundIn(data) {
            seenHead = true
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }
}
