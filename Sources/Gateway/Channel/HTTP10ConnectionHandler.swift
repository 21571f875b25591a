import NIOCore
import NIOHTTP1

/// Serves HTTP/1.0 requests as HTTP/1.0 allows: a request without `Connection: keep-alive` is answered as HTTP/1.0
/// with `Connection: close` and the connection is closed once the answer is written (an HTTP/1.0 client waits for
/// that close, and cannot read chunked bodies). Its request head reaches Hummingbird with `Connection: close`, so the
/// connection's request loop stops after it. A keep-alive request whose answer has a length keeps its connection.
///
/// It sits between NIO's HTTP/1 codec and the HTTP types codec, which drops the request's version.
final class HTTP10ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// What the answer to the current request must do.
    private enum Answer {
        /// An HTTP/1.1 request: nothing changes.
        case unchanged
        /// An HTTP/1.0 request with `Connection: keep-alive`.
        case http10KeepAlive
        /// An HTTP/1.0 request to be closed after its answer.
        case http10Close
    }

    private var answers: [Answer] = []
    private var closeAfterEnd = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        guard head.version == .http1_0 else {
            answers.append(.unchanged)
            context.fireChannelRead(data)
            return
        }
        if head.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "keep-alive" }) {
            answers.append(.http10KeepAlive)
        } else {
            answers.append(.http10Close)
            head.headers.replaceOrAdd(name: "connection", value: "close")
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200:
            let answer = answers.isEmpty ? .unchanged : answers.removeFirst()
            guard answer != .unchanged else { break }
            head.version = .http1_0
            head.headers.remove(name: "transfer-encoding")
            if answer == .http10KeepAlive, head.headers["content-length"].first != nil {
                head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
            } else {
                // Without a length, only the close can end the body.
                head.headers.replaceOrAdd(name: "connection", value: "close")
                closeAfterEnd = true
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            return
        case .end where closeAfterEnd:
            closeAfterEnd = false
            let written = promise ?? context.eventLoop.makePromise()
            context.writeAndFlush(data, promise: written)
            let channel = context.channel
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
            return
        default:
            break
        }
        context.write(data, promise: promise)
    }
}
