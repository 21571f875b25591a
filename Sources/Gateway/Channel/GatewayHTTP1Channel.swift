import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// The gateway's HTTP/1.1 connection: Hummingbird's `HTTP1Channel` pipeline with two handlers of ours around the
/// HTTP/1 to HTTP types codec — `HTTP10ConnectionHandler` before it (the request's version is lost past it), which
/// closes HTTP/1.0 connections after their answer, and `HTTPErrorAnswerHandler` after it, which answers requests the
/// parser refuses with an OpenAI-shaped 400 instead of an empty one.
struct GatewayHTTP1Channel: HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    /// Hummingbird's HTTP/1 settings (extra handlers, idle timeout, decoder limits).
    let configuration: HTTP1Channel.Configuration
    /// Answers one request.
    let responder: HTTPChannelHandler.Responder
    /// The listener's bounds: the header limits' metric, and (plain listeners only, `countsConnections`) the
    /// connection bounds.
    let frontDoor: FrontDoor
    /// Whether this channel counts its connections against `frontDoor`'s gate (false behind TLS, which does).
    var countsConnections = false

    /// Adds the HTTP/1 handlers to `channel` (after TLS and ALPN, when there are).
    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = configuration.httpDecoder.maxHeaderFieldSize
            limits.maxHeaderListSize = configuration.httpDecoder.maxHeaderListSize
            limits.maxHeaderFieldCount = configuration.httpDecoder.maxHeaderFieldCount
            let operations = channel.pipeline.syncOperations
            if countsConnections {
                try operations.addHandler(ConnectionLimitHandler(gate: frontDoor.gate, metrics: frontDoor.metrics))
            }
            try operations.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: limits)
            try operations.addHandler(HTTP10ConnectionHandler())
            try operations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try operations.addHandler(HTTPErrorAnswerHandler(metrics: frontDoor.metrics))
            try operations.addHandlers(configuration.additionalChannelHandlers())
            try operations.addHandler(
                HTTPConnectionStateHandler(
                    idleTimeout: configuration.idleTimeout.map { .nanoseconds($0.nanoseconds) }, logger: logger))
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    /// Serves the connection's requests, one after the other.
    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}
