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
            server: try server(listener: listener, tls: tls),
            configuration: ApplicationConfiguration(
                address: .hostname(listener.host, port: listener.port), serverName: "batchgate"),
            services: services, onServerRunning: onServerRunning, logger: state.logger)
    }

    /// The channel setup for `listener`: the gateway's own HTTP/1.1 pipeline (HTTP/1.0 closes, OpenAI-shaped parse
    /// errors), behind TLS with its handshake bounds unless the listener is plain.
    static func server(listener: BatchgateConfiguration.Listener, tls: TLSCertificateStore?) throws
        -> HTTPServerBuilder
    {
        let headerTimeout = TimeAmount(listener.headerTimeout)
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                HeaderTimeoutHandler(timeout: headerTimeout),
                BodyDeadlineHandler(
                    timeout: TimeAmount(listener.bodyTimeout), minBytesPerSecond: listener.minBodyBytesPerSecond,
                    grace: TimeAmount(BatchgateConfiguration.Listener.bodyRateGrace)),
            ],
            idleTimeout: TimeAmount(listener.idleTimeout))
        guard let tls else {
            return HTTPServerBuilder { responder in GatewayHTTP1Channel(configuration: http1, responder: responder) }
        }
        let configuration = tls.configuration()
        let pending = PendingHandshakes(limit: listener.maxPendingHandshakes)
        return HTTPServerBuilder { responder in
            try GatewayTLSChannel(
                tls: configuration,
                configuration: .init(idleTimeout: listener.idleTimeout, streamConfiguration: http1),
                handshakeTimeout: TimeAmount(listener.handshakeTimeout), pending: pending, responder: responder)
        }
    }
}

extension TimeAmount {
    /// The same span as a Swift `Duration`, to the nanosecond.
    init(_ duration: Duration) { self = .nanoseconds(duration.inNanoseconds) }
}
