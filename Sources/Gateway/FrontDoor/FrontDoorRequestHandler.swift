import HTTPTypes
import NIOCore
import NIOHTTP2
import NIOHTTPTypes
import OpenAIAPI

/// The front door's bounds on requests, on an HTTP/1.1 connection or an HTTP/2 stream, right after the codec:
/// - the request rate of the connection (`listener.max_requests_per_second_per_connection`): past it, 429
///   `connection_rate_limit` with `Retry-After`; HTTP/1.1 then closes the connection (so a pipelined request cannot
///   overtake the answer), HTTP/2 ends only the stream. On HTTP/2 the bucket is the connection's, kept by its
///   `HTTP2ConnectionGuard`.
/// - the header count and size on HTTP/2 (`listener.max_header_count`, `listener.max_header_bytes`; NIO's HTTP/1
///   parser checks HTTP/1.1's): 431.
/// - a client that stops reading (`listener.write_timeout`): once the channel has stayed unwritable that long, it is
///   closed, which ends the request under way and frees its sequence. One timer, only while unwritable.
/// - on HTTP/2, a stream the client reset is reported to the connection's guard (rapid reset).
final class FrontDoorRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    private let frontDoor: FrontDoor
    private let isHTTP2Stream: Bool
    private var bucket: TokenBucket?
    private var connectionGuard: HTTP2ConnectionGuard?
    /// A refused request's remaining parts are dropped until its end.
    private var refusing = false
    private var writeTimer: Scheduled<Void>?

    init(frontDoor: FrontDoor, isHTTP2Stream: Bool) {
        self.frontDoor = frontDoor
        self.isHTTP2Stream = isHTTP2Stream
        bucket = isHTTP2Stream ? nil : frontDoor.requestBucket()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard isHTTP2Stream, let parent = context.channel.parent else { return }
        // A stream shares its connection's event loop, so the connection's pipeline can be read here synchronously.
        connectionGuard = try? parent.pipeline.syncOperations.handler(type: HTTP2ConnectionGuard.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        writeTimer?.cancel()
        writeTimer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            if let refusal = refusal(head, now: context.eventLoop.now) {
                refusing = true
                // Answered before routing, with the request id every other answer carries.
                let id = head.headerFields[RequestIDMiddleware.header].flatMap(RequestIDMiddleware.usable)
                refuse(refusal, id: id ?? RequestIDMiddleware.newID(), context: context)
                return
            }
        case .body:
            if refusing { return }
        case .end:
            if refusing {
                refusing = false
                return
            }
        }
        context.fireChannelRead(data)
    }

    /// Why `head` is refused, if it is.
    private func refusal(_ head: HTTPRequest, now: NIODeadline) -> GatewayError? {
        if isHTTP2Stream, let refusal = headerRefusal(head) {
            frontDoor.metrics.hit(.headers)
            return refusal
        }
        let admitted: Bool
        let retryAfter: Int
        if let connectionGuard {
            admitted = connectionGuard.takeRequest(now: now)
            retryAfter = connectionGuard.secondsUntilNextRequest
        } else if bucket != nil {
            admitted = bucket!.take(now: now)
            retryAfter = bucket!.secondsUntilNext
        } else {
            return nil
        }
        guard !admitted else { return nil }
        frontDoor.metrics.hit(.requestRate)
        return GatewayError(
            .rateLimited,
            "this connection started more than \(frontDoor.requestsPerSecond) requests in a second; slow down",
            retryAfter: .seconds(retryAfter), label: "connection_rate_limit")
    }

    /// Why an HTTP/2 request's headers are refused, if they are: more fields than `listener.max_header_count`, or
    /// more bytes than `listener.max_header_bytes` counted as HTTP/2 counts a header list (name, value and 32 bytes
    /// per field). NIO's HTTP/1 parser checks both for HTTP/1.1; on HTTP/2 NIO's own bound is its HPACK decoder's
    /// (16 KiB), which a later SETTINGS frame does not change.
    private func headerRefusal(_ head: HTTPRequest) -> GatewayError? {
        let fields = head.headerFields
        if fields.count > frontDoor.maxHeaderCount {
            return GatewayError(
                .headersTooLarge,
                "the request has \(fields.count) header fields; at most \(frontDoor.maxHeaderCount) are accepted")
        }
        var bytes = (head.path?.utf8.count ?? 0) + (head.authority?.utf8.count ?? 0) + 96
        for field in fields {
            bytes += field.name.rawName.utf8.count + field.value.utf8.count + 32
        }
        guard bytes > frontDoor.maxHeaderBytes else { return nil }
        return GatewayError(
            .headersTooLarge,
            "the request's headers take \(bytes) bytes; at most \(frontDoor.maxHeaderBytes) are accepted")
    }

    /// Writes `error`'s answer with request id `id`; HTTP/1.1 closes the connection after it, HTTP/2 the stream.
    private func refuse(_ error: GatewayError, id: String, context: ChannelHandlerContext) {
        let body = ErrorBody(error).jsonBuffer()
        var fields: HTTPFields = [.contentType: "application/json", .contentLength: "\(body.readableBytes)"]
        fields[RequestIDMiddleware.header] = id
        if let retryAfter = error.retryAfter {
            fields[.retryAfter] = "\(retryAfter.components.seconds)"
        }
        if !isHTTP2Stream { fields[.connection] = "close" }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: error.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writeTimer?.cancel()
            writeTimer = nil
        } else if writeTimer == nil {
            let channel = context.channel
            let metrics = frontDoor.metrics
            writeTimer = context.eventLoop.scheduleTask(in: frontDoor.writeTimeout) {
                guard !channel.isWritable else { return }
                metrics.hit(.writeTimeout)
                channel.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let closed = error as? NIOHTTP2Errors.StreamClosed, closed.errorCode != .noError {
            connectionGuard?.streamReset(now: context.eventLoop.now)
        }
        context.fireErrorCaught(error)
    }
}
