import NIOCore
import NIOHTTP2

/// The front door of one HTTP/2 connection, right behind NIO's `NIOHTTP2Handler`:
/// - it lowers or raises `SETTINGS_MAX_CONCURRENT_STREAMS` and lowers `SETTINGS_MAX_HEADER_LIST_SIZE` to the
///   listener's bounds with a second SETTINGS frame (the handler's first one carries NIO's defaults, 100 streams
///   and 16 KiB, and Hummingbird does not pass settings through); NIO takes a stream past the acknowledged bound as
///   a connection error (`GOAWAY PROTOCOL_ERROR`; the open streams finish), counted here as `http2_max_streams`;
/// - it keeps the connection's request bucket, shared by its streams;
/// - it bounds the streams the client resets (rapid reset, CVE-2023-44487): its streams report each reset here, and
///   one past `listener.http2_max_stream_resets` gets `GOAWAY ENHANCE_YOUR_CALM` and the connection closed;
/// - it counts and closes the connections NIO's own flood heuristics end (NIO has sent GOAWAY already).
final class HTTP2ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias OutboundOut = HTTP2Frame

    private let frontDoor: FrontDoor
    private var requests: TokenBucket?
    private var resets: TokenBucket
    private var closing = false
    /// This handler's context while it is in the pipeline (its streams report resets outside its own events).
    private var savedContext: ChannelHandlerContext?

    init(frontDoor: FrontDoor) {
        self.frontDoor = frontDoor
        requests = frontDoor.requestBucket()
        resets = frontDoor.resetBucket()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        savedContext = context
        let settings: HTTP2Settings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: frontDoor.http2MaxConcurrentStreams),
            HTTP2Setting(
                parameter: .maxHeaderListSize, value: min(frontDoor.maxHeaderBytes, Self.decoderHeaderListSize)),
        ]
        context.writeAndFlush(
            wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .settings(.settings(settings)))), promise: nil)
    }

    /// The largest header list NIO's HPACK decoder takes (its default, 16 KiB): a later SETTINGS frame does not
    /// change it, so no more is advertised.
    static let decoderHeaderListSize =
        nioDefaultSettings.first { $0.parameter == .maxHeaderListSize }?.value ?? 16384

    /// Takes one request of a stream from the connection's bucket; true when the rate allows it (or is unbounded).
    func takeRequest(now: NIODeadline) -> Bool {
        requests?.take(now: now) ?? true
    }

    /// Whole seconds until the connection may start another request.
    var secondsUntilNextRequest: Int { requests?.secondsUntilNext ?? 1 }

    /// A stream of this connection was reset by the client (or refused); past the bound the connection ends.
    func streamReset(now: NIODeadline) {
        guard !closing, !resets.take(now: now), let context = savedContext else { return }
        closing = true
        frontDoor.metrics.hit(.http2StreamResets)
        let goAway = HTTP2Frame(
            streamID: .rootStream, payload: .goAway(lastStreamID: .maxID, errorCode: .enhanceYourCalm, opaqueData: nil))
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(goAway)).whenComplete { _ in channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        savedContext = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case is NIOHTTP2Errors.MaxStreamsViolation:
            frontDoor.metrics.hit(.http2MaxStreams)
        case is NIOHTTP2Errors.ExcessiveRSTFrames, is NIOHTTP2Errors.ExcessiveStreamErrors,
            is NIOHTTP2Errors.ExcessiveControlFrames, is NIOHTTP2Errors.ExcessiveEmptyDataFrames,
            is NIOHTTP2Errors.ExcessiveNumberOfGlitches, is NIOHTTP2Errors.ExcessiveContinuationFrames:
            if !closing {
                closing = true
                frontDoor.metrics.hit(.http2Flood)
                context.close(promise: nil)
            }
        default:
            break
        }
        context.fireErrorCaught(error)
    }
}
