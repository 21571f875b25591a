import Basics
import BatchgateConfig
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// Builds the gateway's HTTP application from its configuration: the listener (TLS with HTTP/2 and HTTP/1.1
/// through ALPN, or plain HTTP/1.1 when the configuration asks for it), its timeouts, and the responder.
public enum GatewayServer {
    /// The HTTP application serving `state` on the configured listener; `services` (the schedulers, the metrics
    /// listener) run in the application's service group, so they start with it and drain after it on shutdown.
    public static func application(
        state: GatewayState, tls: TLSCertificateStore?, services: [any Service] = [],
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let listener = state.listener
        return Application(
            responder: GatewayRouter.responder(state: state),
            server: try server(
                listener: listener, tls: tls,
                frontDoor: FrontDoor(listener: listener, metrics: state.metrics.frontDoor)),
            configuration: ApplicationConfiguration(
                address: .hostname(listener.host, port: listener.port), serverName: "batchgate"),
            services: services, onServerRunning: onServerRunning, logger: state.logger)
    }

    /// The channel setup for `listener`: the gateway's own HTTP/1.1 pipeline (HTTP/1.0 closes, OpenAI-shaped parse
    /// errors), behind TLS with its handshake bounds unless the listener is plain, and the front door's bounds.
    static func server(
        listener: BatchgateConfiguration.Listener, tls: TLSCertificateStore?, frontDoor: FrontDoor
    ) throws -> HTTPServerBuilder {
        let headerTimeout = TimeAmount(listener.headerTimeout)
        /// The handlers of an HTTP/1.1 connection, or of an HTTP/2 stream when `stream`.
        func configuration(stream: Bool) -> HTTP1Channel.Configuration {
            var configuration = HTTP1Channel.Configuration(
                additionalChannelHandlers: [
                    HeaderTimeoutHandler(timeout: headerTimeout, metrics: frontDoor.metrics),
                    FrontDoorRequestHandler(frontDoor: frontDoor, isHTTP2Stream: stream),
                    BodyDeadlineHandler(
                        timeout: TimeAmount(listener.bodyTimeout), minBytesPerSecond: listener.minBodyBytesPerSecond,
                        grace: TimeAmount(BatchgateConfiguration.Listener.bodyRateGrace)),
                ],
                idleTimeout: TimeAmount(listener.idleTimeout))
            configuration.httpDecoder = .init(
                maxHeaderFieldSize: listener.maxHeaderBytes, maxHeaderListSize: listener.maxHeaderBytes,
                maxHeaderFieldCount: listener.maxHeaderCount)
            return configuration
        }
        let http1 = configuration(stream: false)
        let http2Stream = configuration(stream: true)
        guard let tls else {
            return HTTPServerBuilder { responder in
                var channel = GatewayHTTP1Channel(configuration: http1, responder: responder, frontDoor: frontDoor)
                channel.countsConnections = true
                return channel
            }
        }
        let tlsConfiguration = tls.configuration()
        let pending = PendingHandshakes(limit: listener.maxPendingHandshakes)
        return HTTPServerBuilder { responder in
            try GatewayTLSChannel(
                tls: tlsConfiguration, http1: http1,
                configuration: .init(
                    idleTimeout: listener.idleTimeout, streamConfiguration: http2Stream),
                handshakeTimeout: TimeAmount(listener.handshakeTimeout), pending: pending, frontDoor: frontDoor,
                responder: responder)
        }
    }
}

extension TimeAmount {
    /// The same span as a Swift `Duration`, to the nanosecond.
    init(_ duration: Duration) { self = .nanoseconds(duration.inNanoseconds) }
}
