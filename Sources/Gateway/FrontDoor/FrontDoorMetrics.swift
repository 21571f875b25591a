import Metrics
import Scheduler

/// The listener's bounds that a client hit, one label value each, as `batchgate_connection_bounds_hit_total{bound}`,
/// and the connections open now as `batchgate_open_connections`. Every counter is made once, up front, so that each
/// bound shows in `/metrics` (at 0) before it is first hit, and counting is one atomic add.
public final class FrontDoorMetrics: Sendable {
    /// The bounds, by the label value they are counted under.
    public enum Bound: String, Sendable, CaseIterable {
        /// `listener.max_connections`: a new connection was closed at once.
        case maxConnections = "max_connections"
        /// `listener.max_connections_per_client`: a new connection was closed at once.
        case maxConnectionsPerClient = "max_connections_per_client"
        /// `listener.header_timeout`: a connection's first request head did not arrive whole in time.
        case headerTimeout = "header_timeout"
        /// `listener.max_header_bytes` or `listener.max_header_count`: 431.
        case headers = "headers"
        /// `listener.max_requests_per_second_per_connection`: 429.
        case requestRate = "request_rate"
        /// `listener.write_timeout`: a client that stopped reading was dropped.
        case writeTimeout = "write_timeout"
        /// `listener.http2_max_concurrent_streams`: a stream past it (NIO answers GOAWAY PROTOCOL_ERROR).
        case http2MaxStreams = "http2_max_streams"
        /// `listener.http2_max_stream_resets`: a connection got GOAWAY and was closed.
        case http2StreamResets = "http2_stream_resets"
        /// NIOHTTP2's own flood heuristics (RST_STREAM, control or empty DATA frames, stream errors): GOAWAY, closed.
        case http2Flood = "http2_flood"
    }

    private let counters: [Counter]
    private let open: Meter

    /// Metrics made by `factory`.
    public init(factory: any MetricsFactory) {
        counters = Bound.allCases.map { bound in
            Counter(
                label: "batchgate_connection_bounds_hit_total", dimensions: [("bound", bound.rawValue)],
                factory: factory)
        }
        open = Meter(label: "batchgate_open_connections", dimensions: [], factory: factory)
    }

    /// Counts one hit of `bound`.
    func hit(_ bound: Bound) {
        counters[Bound.allCases.firstIndex(of: bound)!].increment()
    }

    /// A connection was accepted and counted.
    func opened() { open.increment() }

    /// A counted connection closed.
    func closed() { open.decrement() }
}

extension MetricDescription {
    /// The listener's front-door families.
    public static let frontDoor: [MetricDescription] = [
        .init(
            "batchgate_connection_bounds_hit_total",
            "Clients that hit a bound of the listener, by bound (connections, header time, size and count, request "
                + "rate, write timeout, HTTP/2 streams and resets)."),
        .init("batchgate_open_connections", "Connections open on the listeners, TLS handshakes under way included."),
    ]
}
