import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose first request head has not fully arrived within `timeout` of the connection opening
/// (a client that connects and dribbles its headers holds a connection slot for nothing). Later requests on a
/// keep-alive connection are bounded by the idle timeout instead.
final class HeaderTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var seenHead = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
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
