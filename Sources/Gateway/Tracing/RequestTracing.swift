import BatchgateConfig
import HTTPTypes
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// The gateway's request tracing: the tracer spans are made with. Only a gateway whose configuration sets
/// `tracing.otlp_endpoint` has one; everywhere else the `RequestTracing?` is `nil`, and nothing about a request is
/// traced: no middleware, no span, no step observer.
///
/// The tracer is held here rather than bootstrapped process-wide (`InstrumentationSystem`), so that each gateway in a
/// process (the tests start several) has its own, and no library deep inside makes spans of its own on the way.
public struct RequestTracing: Sendable {
    /// Where spans go.
    let tracer: any Tracer

    /// Tracing through `tracer` (an OTLP exporter's, or an in-memory one in tests).
    public init(tracer: any Tracer) {
        self.tracer = tracer
    }

    /// The OTLP/HTTP exporter `settings` describe, with the service that batches and sends its spans (run it in the
    /// gateway's service group; on shutdown it sends what it holds); `nil` when tracing is off.
    public static func otlp(
        _ settings: BatchgateConfiguration.Tracing, logger: Logger
    ) throws -> (tracing: RequestTracing, service: any Service)? {
        guard let url = settings.tracesURL else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = settings.serviceName
        configuration.diagnosticLogger = .custom(logger)
        configuration.diagnosticLogLevel = .warning
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.endpoint = url
        configuration.traces.otlpExporter.protocol = settings.otlpProtocol == .json ? .httpJSON : .httpProtobuf
        configuration.traces.batchSpanProcessor.scheduleDelay = settings.exportInterval
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        return (RequestTracing(tracer: backend.factory), backend.service)
    }

    /// Starts the trace of one request: its root span, named `name`, the child of the caller's span when `headers`
    /// carry a valid `traceparent` (a malformed one is ignored: the request starts a new trace).
    func startRequest(name: String, headers: HTTPFields) -> RequestTrace {
        var parent = InstrumentationContext.topLevel
        if let value = headers[Self.traceparent], let incoming = TraceParent(value) {
            let carrier = TraceCarrier(
                traceparent: incoming.headerValue, tracestate: headers[Self.tracestate].flatMap(Self.usableState))
            tracer.extract(carrier, into: &parent, using: TraceCarrier.Extract())
        }
        return RequestTrace(tracer: tracer, name: name, parent: parent)
    }

    /// The `traceparent` header.
    static let traceparent = HTTPField.Name("traceparent")!
    /// The `tracestate` header.
    static let tracestate = HTTPField.Name("tracestate")!

    /// `value` when it may be passed on as a `tracestate`: at most 512 visible ASCII characters (the W3C limit a
    /// receiver must keep), else nothing.
    static func usableState(_ value: String) -> String? {
        let bytes = value.utf8
        guard bytes.count <= 512, bytes.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        return value
    }
}

/// The two trace headers of an incoming request, already checked, as the tracer's extractor reads them; the other
/// headers (an API key among them) never reach the tracer.
struct TraceCarrier: Sendable {
    var traceparent: String
    var tracestate: String?

    /// Reads `traceparent` and `tracestate` from a carrier.
    struct Extract: Extractor {
        func extract(key: String, from carrier: TraceCarrier) -> String? {
            switch key {
            case "traceparent": carrier.traceparent
            case "tracestate": carrier.tracestate
            default: nil
            }
        }
    }
}

/// Writes the trace headers the tracer injects into HTTP response fields.
struct HTTPFieldsInjector: Injector {
    func inject(_ value: String, forKey key: String, into fields: inout HTTPFields) {
        guard let name = HTTPField.Name(key) else { return }
        fields[name] = value
    }
}
