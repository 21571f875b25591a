import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import OpenAIAPI

/// When a parse error of an HTTP/1 connection can be answered, and by whom. The events are the request parts read
/// and the answers written; an error is answered here (an OpenAI-shaped 400, then the connection closes) when no
/// request is open, after the open requests' answers when their bodies are all read, and left to the request that
/// is reading its body otherwise (its body read fails, and it answers).
struct HTTPErrorAnswerState: Equatable {
    /// What to do with a parse error.
    enum Action: Equatable {
        /// Pass it on: the open request's body read gets it and answers.
        case forward
        /// Write the 400 now and close.
        case answer
        /// Write the 400 once the open requests' answers are written.
        case wait
        /// Nothing: the connection is already answered.
        case nothing
    }

    /// Requests whose head was read and whose answer has not been fully written.
    private(set) var openRequests = 0
    /// Whether the last request's body is still being read.
    private(set) var readingBody = false
    private var errorWaiting = false
    private var answered = false

    /// A request head was read.
    mutating func headRead() {
        openRequests += 1
        readingBody = true
    }

    /// A request's end was read.
    mutating func endRead() { readingBody = false }

    /// An answer's end was written; `.answer` when a parse error waited for it.
    mutating func answerWritten() -> Action {
        openRequests = max(0, openRequests - 1)
        guard errorWaiting, openRequests == 0 else { return .nothing }
        errorWaiting = false
        answered = true
        return .answer
    }

    /// The parser refused the input.
    mutating func parseError() -> Action {
        if answered || errorWaiting { return .nothing }
        if readingBody && openRequests > 0 { return .forward }
        if openRequests == 0 {
            answered = true
            return .answer
        }
        errorWaiting = true
        return .wait
    }
}

/// Answers what NIO's HTTP/1 parser (or the conversion to HTTP types) refuses — an unknown method, an oversized head
/// or URL, CR/LF/NUL where they do not belong, a bad or repeated `Content-Length`, `Content-Length` with
/// `Transfer-Encoding`, a bad version — with the gateway's JSON error body and `Connection: close`, instead of
/// Hummingbird's empty 400. It replaces NIO's `HTTPServerProtocolErrorHandler`, which Hummingbird leaves out.
final class HTTPErrorAnswerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var state = HTTPErrorAnswerState()
    private var waitingError: (any Error)?
    /// Where a head past `listener.max_header_bytes` or `listener.max_header_count` is counted.
    private let metrics: FrontDoorMetrics?

    init(metrics: FrontDoorMetrics? = nil) {
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: state.headRead()
        case .end: state.endRead()
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        context.write(data, promise: promise)
        if state.answerWritten() == .answer, let error = waitingError {
            answer(error, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard Self.isParseError(error) else {
            context.fireErrorCaught(error)
            return
        }
        switch state.parseError() {
        case .forward: context.fireErrorCaught(error)
        case .answer: answer(error, context: context)
        case .wait: waitingError = error
        case .nothing: break
        }
    }

    private func answer(_ error: any Error, context: ChannelHandlerContext) {
        let refusal = Self.refusal(error)
        if refusal.code == .headersTooLarge { metrics?.hit(.headers) }
        let body = ErrorBody(refusal).jsonBuffer()
        let head = HTTPResponse(
            status: refusal.status,
            headerFields: [
                .contentType: "application/json", .contentLength: "\(body.readableBytes)", .connection: "close",
            ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    static func isParseError(_ error: any Error) -> Bool {
        error is HTTPParserError || error is HTTP1TypeConversionError
    }

    /// The 400 for a parse error, in words a client can act on; 431 for a head past the listener's bounds.
    static func refusal(_ error: any Error) -> GatewayError {
        if let error = error as? HTTPParserError, error == .headerOverflow {
            return GatewayError(
                .headersTooLarge,
                "the request line or headers are too large (listener.max_header_bytes) or have too many fields "
                    + "(listener.max_header_count)")
        }
        return GatewayError(.invalidHTTP, "the request is not valid HTTP/1.1: " + reason(error))
    }

    static func reason(_ error: any Error) -> String {
        guard let error = error as? HTTPParserError else {
            return "its method or target cannot be read (\(error))"
        }
        switch error {
        case .invalidMethod: return "unknown request method"
        case .headerOverflow: return "the request line or headers are too large"
        case .invalidVersion: return "unsupported HTTP version"
        case .invalidURL, .invalidPath, .invalidQueryString, .invalidFragment, .invalidHost, .invalidPort:
            return "invalid request target"
        case .invalidHeaderToken: return "invalid character in a header name or value"
        case .invalidCharactersUsed, .lfExpected, .invalidConstant, .strictModeAssertion:
            return "invalid character in the request line or headers (a stray CR, LF or NUL)"
        case .invalidContentLength: return "invalid or repeated Content-Length"
        case .unexpectedContentLength: return "Content-Length together with Transfer-Encoding"
        case .invalidChunkSize: return "invalid chunk size in the chunked body"
        case .invalidEOFState: return "the connection ended inside the request"
        default: return "\(error)"
        }
    }
}
