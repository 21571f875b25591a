extension NodeReader {
    /// The listener's front-door bounds: connections in total and per client, request heads, the request rate of a
    /// connection, slow readers, and HTTP/2 streams and resets.
    mutating func readFrontDoor(
        _ fields: Fields, into listener: inout BatchgateConfiguration.Listener,
        defaults: BatchgateConfiguration.Listener
    ) {
        listener.maxConnections = int(fields, "max_connections", default: defaults.maxConnections, range: 1...Int.max)
        listener.maxConnectionsPerClient = int(
            fields, "max_connections_per_client", default: defaults.maxConnectionsPerClient, range: 0...Int.max)
        listener.maxHeaderBytes = int(
            fields, "max_header_bytes", default: defaults.maxHeaderBytes, range: 1024...(1 << 24))
        listener.maxHeaderCount = int(fields, "max_header_count", default: defaults.maxHeaderCount, range: 1...65534)
        listener.maxRequestsPerSecondPerConnection = int(
            fields, "max_requests_per_second_per_connection", default: defaults.maxRequestsPerSecondPerConnection,
            range: 0...1_000_000)
        listener.writeTimeout = duration(fields, "write_timeout", default: defaults.writeTimeout, allowZero: false)
        listener.http2MaxConcurrentStreams = int(
            fields, "http2_max_concurrent_streams", default: defaults.http2MaxConcurrentStreams, range: 1...1_000_000)
        listener.http2MaxStreamResets = int(
            fields, "http2_max_stream_resets", default: defaults.http2MaxStreamResets, range: 1...1_000_000)
    }
}
