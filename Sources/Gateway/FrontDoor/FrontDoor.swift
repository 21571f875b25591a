import BatchgateConfig
import NIOCore

/// The listener's front-door bounds and their shared state: what every connection's handlers are made from.
struct FrontDoor: Sendable {
    /// Connections open, in total and per client.
    let gate: ConnectionGate
    /// Where hits are counted.
    let metrics: FrontDoorMetrics
    /// `listener.max_header_bytes`.
    let maxHeaderBytes: Int
    /// `listener.max_header_count`.
    let maxHeaderCount: Int
    /// `listener.max_requests_per_second_per_connection`; 0 sets none.
    let requestsPerSecond: Int
    /// `listener.write_timeout`.
    let writeTimeout: TimeAmount
    /// `listener.http2_max_concurrent_streams`.
    let http2MaxConcurrentStreams: Int
    /// `listener.http2_max_stream_resets`, counted in `BatchgateConfiguration.Listener.http2ResetWindow`.
    let http2MaxStreamResets: Int

    /// The bounds of `listener`, counted in `metrics`. The connection bound is also held under what the descriptor
    /// limit leaves (`DescriptorLimit.connectionBudget`): a process out of descriptors is killed by libdispatch.
    init(listener: BatchgateConfiguration.Listener, metrics: FrontDoorMetrics) {
        gate = ConnectionGate(
            maxConnections: DescriptorLimit.connectionBudget(configured: listener.maxConnections),
            maxPerClient: listener.maxConnectionsPerClient)
        self.metrics = metrics
        maxHeaderBytes = listener.maxHeaderBytes
        maxHeaderCount = listener.maxHeaderCount
        requestsPerSecond = listener.maxRequestsPerSecondPerConnection
        writeTimeout = TimeAmount(listener.writeTimeout)
        http2MaxConcurrentStreams = listener.http2MaxConcurrentStreams
        http2MaxStreamResets = listener.http2MaxStreamResets
    }

    /// A new connection's request bucket (one second's worth of burst); nil when the rate is not bounded.
    func requestBucket() -> TokenBucket? {
        requestsPerSecond > 0 ? TokenBucket(capacity: requestsPerSecond, perSecond: Double(requestsPerSecond)) : nil
    }

    /// A new HTTP/2 connection's reset bucket: the bound at once, refilled over the window.
    func resetBucket() -> TokenBucket {
        let window = Double(BatchgateConfiguration.Listener.http2ResetWindow.inNanoseconds) / 1e9
        return TokenBucket(capacity: http2MaxStreamResets, perSecond: Double(http2MaxStreamResets) / window)
    }
}
