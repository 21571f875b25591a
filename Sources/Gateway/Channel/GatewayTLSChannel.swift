import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOHTTP2
import NIOSSL
import NIOTLS

/// The gateway's TLS connection: Hummingbird's `HTTP2UpgradeChannel` (TLS, then HTTP/2 or HTTP/1.1 by ALPN) with a
/// `HandshakeGuardHandler` behind the TLS handler, so a connection that never finishes its handshake is closed after
/// `handshakeTimeout` and at most `pending.limit` handshakes are under way at once, with the gateway's own
/// HTTP/1.1 pipeline (`GatewayHTTP1Channel`), and with the front door's bounds: `ConnectionLimitHandler` first of all,
/// and an `HTTP2ConnectionGuard` behind NIO's HTTP/2 handler.
struct GatewayTLSChannel: ServerChildChannel {
    /// The protocol ALPN chose, with its connection.
    enum Negotiated: Sendable {
        case http1(GatewayHTTP1Channel.Value)
        case http2(HTTP2Channel.Value)
    }

    /// A connection once set up: the negotiation still to come.
    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    let sslContext: NIOSSLContext
    let http1: GatewayHTTP1Channel
    let http2: HTTP2Channel
    let handshakeTimeout: TimeAmount
    let pending: PendingHandshakes
    let frontDoor: FrontDoor

    /// A TLS channel with `tls` (its ALPN protocols are set here), serving HTTP/1.1 connections set up by `http1`
    /// and HTTP/2 ones by `configuration` with `responder`, within `frontDoor`'s bounds.
    init(
        tls: TLSConfiguration, http1: HTTP1Channel.Configuration, configuration: HTTP2ChannelConfiguration,
        handshakeTimeout: TimeAmount, pending: PendingHandshakes, frontDoor: FrontDoor,
        responder: @escaping HTTPChannelHandler.Responder
    ) throws {
        var tls = tls
        tls.applicationProtocols = ["h2", "http/1.1"]
        sslContext = try NIOSSLContext(configuration: tls)
        self.http1 = GatewayHTTP1Channel(configuration: http1, responder: responder, frontDoor: frontDoor)
        http2 = HTTP2Channel(responder: responder, configuration: configuration)
        self.handshakeTimeout = handshakeTimeout
        self.pending = pending
        self.frontDoor = frontDoor
    }

    /// Adds TLS, the handshake guard and the ALPN handler to a new connection.
    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let operations = channel.pipeline.syncOperations
            try operations.addHandler(ConnectionLimitHandler(gate: frontDoor.gate, metrics: frontDoor.metrics))
            try operations.addHandler(NIOSSLServerHandler(context: sslContext))
            try operations.addHandler(HandshakeGuardHandler(timeout: handshakeTimeout, pending: pending))
            let alpn = NIOTypedApplicationProtocolNegotiationHandler<Negotiated> { result in
                switch result {
                case .negotiated("h2"):
                    return http2.setup(channel: channel, logger: logger).flatMapThrowing { connection in
                        // Right behind NIO's HTTP/2 handler, which fires the errors and takes the frames it writes.
                        let operations = channel.pipeline.syncOperations
                        let http2Handler = try operations.handler(type: NIOHTTP2Handler.self)
                        try operations.addHandler(
                            HTTP2ConnectionGuard(frontDoor: frontDoor), position: .after(http2Handler))
                        return .http2(connection)
                    }
                case .negotiated("http/1.1"), .fallback:
                    return http1.setup(channel: channel, logger: logger).map { .http1($0) }
                case .negotiated:
                    return channel.close().flatMapThrowing { throw TLSChannelError.unexpectedProtocol }
                }
            }
            try operations.addHandler(alpn)
            return Value(negotiated: alpn.protocolNegotiationResult, channel: channel)
        }
    }

    /// Serves the connection with the protocol ALPN chose.
    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http1(let connection): await http1.handle(value: connection, logger: logger)
            case .http2(let connection): await http2.handle(value: connection, logger: logger)
            }
        } catch {
            logger.debug("TLS or protocol negotiation failed: \(error)")
        }
    }
}

/// ALPN chose a protocol the gateway did not offer.
struct TLSChannelError: Error {
    static let unexpectedProtocol = TLSChannelError()
}
