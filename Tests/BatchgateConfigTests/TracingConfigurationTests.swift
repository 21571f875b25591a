import Testing

@testable import BatchgateConfig

/// The `tracing:` section: off unless an endpoint is set, and every bad value named with its key.
@Suite("Tracing configuration")
struct TracingConfigurationTests {
    @Test("Defaults: off, protobuf, service batchgate, 5 s batches; a file without the section has them")
    func defaults() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let tracing = try fixture.parse(baseYAML).tracing
        #expect(tracing == BatchgateConfiguration.Tracing())
        #expect(!tracing.enabled)
        #expect(tracing.tracesURL == nil)
        #expect(tracing.otlpProtocol == .protobuf)
        #expect(tracing.serviceName == "batchgate")
        #expect(tracing.exportInterval == .seconds(5))
    }

    @Test("Every key is read")
    func allKeys() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let tracing = try fixture.parse(
            baseYAML + """
                tracing:
                  otlp_endpoint: http://127.0.0.1:4318
                  protocol: http/json
                  service_name: gateway-a
                  export_interval: 250ms
                  trace_link: http://jaeger:16686/trace/{trace_id}

                """
        ).tracing
        #expect(tracing.enabled)
        #expect(tracing.otlpEndpoint == "http://127.0.0.1:4318")
        #expect(tracing.otlpProtocol == .json)
        #expect(tracing.serviceName == "gateway-a")
        #expect(tracing.exportInterval == .milliseconds(250))
        #expect(tracing.traceLink == "http://jaeger:16686/trace/{trace_id}")
    }

    @Test("Spans go to /v1/traces under the endpoint, unless it already names that path")
    func tracesURL() {
        func url(_ endpoint: String) -> String? { BatchgateConfiguration.Tracing(otlpEndpoint: endpoint).tracesURL }
        #expect(url("http://collector:4318") == "http://collector:4318/v1/traces")
        #expect(url("http://collector:4318/") == "http://collector:4318/v1/traces")
        #expect(url("https://otel.example/v1/traces") == "https://otel.example/v1/traces")
    }

    @Test(
        "Bad values are refused with their key",
        arguments: [
            ("otlp_endpoint: 127.0.0.1:4318", "tracing.otlp_endpoint"),
            ("otlp_endpoint: ftp://collector", "tracing.otlp_endpoint"),
            ("otlp_endpoint: http://", "tracing.otlp_endpoint"),
            ("otlp_endpoint: http://:4318", "tracing.otlp_endpoint"),
            ("otlp_endpoint: http://collector :4318", "tracing.otlp_endpoint"),
            ("protocol: grpc", "tracing.protocol"),
            ("service_name: ''", "tracing.service_name"),
            ("export_interval: 0s", "tracing.export_interval"),
            ("trace_link: http://jaeger:16686/trace/", "tracing.trace_link"),
            ("trace_link: jaeger/{trace_id}", "tracing.trace_link"),
            ("endpoint: http://collector", "tracing.endpoint"),
        ])
    func refused(_ line: String, _ key: String) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let found = fixture.issues(baseYAML + "tracing:\n  \(line)\n")
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.keyPath == key, "\(found)")
    }
}
