import HTTPTypes
import HummingbirdTesting
import Testing

@testable import Gateway

/// The W3C `traceparent` check the gateway applies before a header reaches the tracer, and the gateway without
/// tracing, which neither reads nor answers one.
@Suite("traceparent")
struct TraceParentTests {
    static let trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let span = "00f067aa0ba902b7"

    @Test("A valid version-00 header is read field by field and written back the same")
    func valid() throws {
        let value = "00-\(Self.trace)-\(Self.span)-01"
        let parsed = try #require(TraceParent(value))
        #expect(parsed.traceID == Self.trace)
        #expect(parsed.parentID == Self.span)
        #expect(parsed.flags == 1 && parsed.sampled)
        #expect(parsed.headerValue == value)
        #expect(TraceParent("00-\(Self.trace)-\(Self.span)-00")?.sampled == false)
    }

    @Test("A later version is read by its first four fields, and passed on as version 00")
    func laterVersion() throws {
        let parsed = try #require(TraceParent("cc-\(Self.trace)-\(Self.span)-01-what-comes-next"))
        #expect(parsed.version == "cc")
        #expect(parsed.headerValue == "00-\(Self.trace)-\(Self.span)-01")
        #expect(TraceParent("cc-\(Self.trace)-\(Self.span)-01x") == nil)
    }

    @Test(
        "Malformed headers are refused",
        arguments: [
            "", "00", "00-\(trace)-\(span)", "00-\(trace)-\(span)-01-extra",
            "ff-\(trace)-\(span)-01", "00-\(trace.uppercased())-\(span)-01",
            "00-\(String(repeating: "0", count: 32))-\(span)-01",
            "00-\(trace)-0000000000000000-01", "00-\(trace.dropLast())-\(span)0-01", "00_\(trace)-\(span)-01",
            "00-\(trace)-\(span)-0g", "0g-\(trace)-\(span)-01", " 00-\(trace)-\(span)-01",
        ])
    func malformed(_ value: String) {
        #expect(TraceParent(value) == nil, "\(value)")
    }

    @Test("tracestate is passed on only when it is short, visible ASCII")
    func traceState() {
        #expect(RequestTracing.usableState("congo=t61rcWkgMzE") == "congo=t61rcWkgMzE")
        #expect(RequestTracing.usableState(String(repeating: "a", count: 513)) == nil)
        #expect(RequestTracing.usableState("a=\u{7}") == nil)
    }

    @Test("Without tracing, a traceparent is neither read nor answered")
    func offByDefault() async throws {
        let gateway = try TestGateway()
        #expect(gateway.state.tracing == nil)
        try await gateway.test { client in
            let answer = try await client.execute(
                uri: "/health/live", method: .get,
                headers: [HTTPField.Name("traceparent")!: "00-\(Self.trace)-\(Self.span)-01"])
            #expect(answer.status == .ok)
            #expect(answer.headers[HTTPField.Name("traceparent")!] == nil)
        }
    }
}
