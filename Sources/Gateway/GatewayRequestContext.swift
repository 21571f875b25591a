import BatchgateConfig
import Hummingbird
import NIOCore

/// The request context of the gateway: Hummingbird's core context plus the connection's channel, so a handler can
/// tell whether its client is still there and can close a connection whose body it refuses to read.
public struct GatewayRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The connection (an HTTP/2 stream channel under HTTP/2).
    public let channel: any Channel
    /// Whether the channel was active when the request arrived (test channels never are).
    public let channelWasActive: Bool
    /// The request's id (`RequestIDMiddleware`).
    public var requestID = ""
    /// The request's log line in the making (`RequestLogMiddleware`).
    var record: RequestRecord?
    /// The API key the request authenticated with (`AuthenticationMiddleware`), on the routes that need one.
    var key: BatchgateConfiguration.APIKey?
    /// The request's trace (`TracingMiddleware`); `nil` unless tracing is on.
    var trace: RequestTrace?
    /// The peer node that forwarded the request (`AuthenticationMiddleware`); such a request is never forwarded again.
    var forwardedFrom: String?

    /// A context for a request arriving on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        channelWasActive = source.channel.isActive
    }

    /// The API key; only the routes behind `AuthenticationMiddleware` ask for it.
    func requireKey() throws(GatewayError) -> BatchgateConfiguration.APIKey {
        guard let key else { throw GatewayError(.internalError, "the route has no authenticated key") }
        return key
    }

    /// Whether the client is still connected; always true on a channel that was never active (in-memory tests).
    public var isConnected: @Sendable () -> Bool {
        let channel = channel
        let wasActive = channelWasActive
        return { !wasActive || channel.isActive }
    }
}
