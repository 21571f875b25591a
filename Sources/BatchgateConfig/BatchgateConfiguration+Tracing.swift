extension BatchgateConfiguration {
    /// `tracing.protocol`: how spans travel to the collector (both OTLP over HTTP).
    public enum TracingProtocol: String, Sendable, Equatable, CaseIterable {
        /// Binary protobuf bodies (the collectors' default).
        case protobuf = "http/protobuf"
        /// JSON bodies.
        case json = "http/json"
    }

    /// `tracing:` — request spans exported over OTLP/HTTP. Off (no span is made) unless `otlpEndpoint` is set.
    public struct Tracing: Sendable, Equatable {
        /// The collector's OTLP/HTTP address, `http://` or `https://` (spans go to `/v1/traces` under it unless it
        /// already ends so); `nil`, the default: tracing is off.
        public var otlpEndpoint: String?
        /// Body encoding; default `http/protobuf`.
        public var otlpProtocol: TracingProtocol
        /// The `service.name` resource attribute; default `batchgate`.
        public var serviceName: String
        /// How long finished spans wait to be sent in one batch; default 5 s.
        public var exportInterval: Duration
        /// Where a trace can be seen, with `{trace_id}` standing for its id (a Jaeger or Tempo page), so that the
        /// dashboard links each request to its trace; `nil`, the default: the id is shown as text.
        public var traceLink: String?

        /// Creates tracing settings; every argument defaults to the documented default.
        public init(
            otlpEndpoint: String? = nil, otlpProtocol: TracingProtocol = .protobuf, serviceName: String = "batchgate",
            exportInterval: Duration = .seconds(5), traceLink: String? = nil
        ) {
            self.otlpEndpoint = otlpEndpoint
            self.otlpProtocol = otlpProtocol
            self.serviceName = serviceName
            self.exportInterval = exportInterval
            self.traceLink = traceLink
        }

        /// Whether spans are made and exported.
        public var enabled: Bool { otlpEndpoint != nil }

        /// The URL spans are posted to: the endpoint with `/v1/traces` added unless it already ends with it.
        public var tracesURL: String? {
            guard let endpoint = otlpEndpoint else { return nil }
            if endpoint.hasSuffix("/v1/traces") { return endpoint }
            return (endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint) + "/v1/traces"
        }
    }
}
