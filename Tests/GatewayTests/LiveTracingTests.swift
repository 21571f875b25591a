import BatchgateConfig
import Foundation
import Glibc
import Testing

/// Request tracing through the real gateway process and its worker process, exported over OTLP/HTTP (JSON) to a
/// receiver in the test: one complete span tree per request, under the caller's `traceparent` when it sent one.
@Suite("Live tracing", .serialized)
struct LiveTracingTests {
    static let callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let admin = "bg-tracing-admin-key"
    static let callerSpan = "00f067aa0ba902b7"

    /// One answered request: its status, headers (names lower-cased) and body.
    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// Posts `json` to `path` with `key` and `headers`, through curl (`-i`: the head comes first).
    func post(
        _ gateway: LiveGateway, _ path: String, json: String, headers: [String], key: String = LiveGateway.key
    ) throws -> Answer {
        var arguments = [
            "-i", gateway.url(path), "-H", "Authorization: Bearer \(key)", "-H",
            "Content-Type: application/json", "-d", json,
        ]
        for header in headers { arguments += ["-H", header] }
        let (output, status) = try gateway.curl(arguments)
        #expect(status == 0)
        let parts = output.components(separatedBy: "\r\n\r\n")
        let head = parts.first?.components(separatedBy: "\r\n") ?? []
        var fields: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let code = head.first?.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return Answer(status: code, headers: fields, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// The spans of trace `id`, once its root has arrived and nothing new came for a moment.
    func spans(of id: String, in receiver: OTLPReceiver, count: Int) throws -> [ReceivedSpan] {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let spans = receiver.spans.filter { $0.traceID == id }
            if spans.count >= count { return spans }
            usleep(50_000)
        }
        return receiver.spans.filter { $0.traceID == id }
    }

    /// Checks that `spans` form one tree: a server root (under `parent` when given) with every other span its child,
    /// each inside the root's time; returns the root.
    @discardableResult
    func checkTree(_ spans: [ReceivedSpan], parent: String?, name: String) throws -> ReceivedSpan {
        let ids = Set(spans.map(\.spanID))
        #expect(ids.count == spans.count, "span ids repeat: \(spans.map(\.spanID))")
        let roots = spans.filter { !ids.contains($0.parentSpanID) }
        try #require(roots.count == 1, "not one root: \(roots.map(\.name))")
        let root = roots[0]
        #expect(root.name == name)
        #expect(root.kind == 2, "the root is not a server span")
        #expect(root.parentSpanID == (parent ?? ""))
        for span in spans where span.spanID != root.spanID {
            #expect(span.parentSpanID == root.spanID, "\(span.name) is not a child of the root")
            #expect(span.start >= root.start && span.end <= root.end, "\(span.name) lies outside the root's time")
            #expect(span.start <= span.end)
        }
        return root
    }

    @Test("Streamed, whole and malformed-traceparent requests each give one span tree with the expected spans")
    func spanTrees() throws {
        let receiver = try OTLPReceiver()
        defer { receiver.stop() }
        let gateway = try LiveGateway(
            keys: LiveGateway.keysYAML([("once", "bg-once-a-minute", "{requests_per_minute: 1}")])
                + "\n  - name: ops\n    sha256: \(APIKeyDigest.sha256Hex(of: Self.admin))\n    admin: true",
            sections: """
                tracing:
                  otlp_endpoint: http://127.0.0.1:\(receiver.port)
                  protocol: http/json
                  export_interval: 100ms
                  trace_link: http://traces.example/trace/{trace_id}
                """)

        // A streamed chat completion under the caller's span, with its own request id.
        let streamed = try post(
            gateway, "/v1/chat/completions",
            json: #"{"model":"tiny","messages":[{"role":"user","content":"go"}],"stream":true,"ignore_eos":true,"#
                + #""max_tokens":6}"#,
            headers: ["traceparent: 00-\(Self.callerTrace)-\(Self.callerSpan)-01", "x-request-id: traced-1"])
        #expect(streamed.status == 200)
        #expect(streamed.body.contains("[DONE]"))
        #expect(streamed.headers["x-request-id"] == "traced-1")
        let answered = try #require(streamed.headers["traceparent"], "no traceparent in \(streamed.headers)")
        let fields = answered.split(separator: "-").map(String.init)
        try #require(fields.count == 4, "\(answered)")
        #expect(fields[0] == "00" && fields[1] == Self.callerTrace && fields[3] == "01")
        #expect(fields[2] != Self.callerSpan)

        // A whole text completion with no traceparent: a trace of its own.
        let whole = try post(
            gateway, "/v1/completions",
            json: #"{"model":"tiny","prompt":"one two three","max_tokens":4,"ignore_eos":true}"#, headers: [])
        #expect(whole.status == 200)
        let wholeTrace = try #require(whole.headers["traceparent"]?.split(separator: "-").map(String.init))
        try #require(wholeTrace.count == 4)

        // A malformed traceparent is ignored: the request is served, in a new trace.
        let malformed = try post(
            gateway, "/v1/completions", json: #"{"model":"tiny","prompt":"four","max_tokens":2,"ignore_eos":true}"#,
            headers: ["traceparent: 00-\(Self.callerTrace.uppercased())-\(Self.callerSpan)-01"])
        #expect(malformed.status == 200)
        let malformedTrace = try #require(malformed.headers["traceparent"]?.split(separator: "-").map(String.init))
        try #require(malformedTrace.count == 4)
        #expect(malformedTrace[1] != Self.callerTrace.lowercased())

        // A request over its key's quota: refused at admission, and traced all the same.
        var refusedTrace: [String] = []
        for _ in 0..<2 {
            let answer = try post(
                gateway, "/v1/completions", json: #"{"model":"tiny","prompt":"five","max_tokens":1}"#,
                headers: [], key: "bg-once-a-minute")
            if answer.status == 429 {
                refusedTrace = answer.headers["traceparent"]?.split(separator: "-").map(String.init) ?? []
            }
        }
        try #require(refusedTrace.count == 4, "no traced 429")

        // The dashboard's last requests name each request's trace and link it with `tracing.trace_link`.
        let (state, _) = try gateway.curl([
            gateway.url("/dashboard/state"), "-H", "Authorization: Bearer \(Self.admin)",
        ])
        #expect(state.contains(#""traceId":"\#(Self.callerTrace)""#), "\(state.prefix(600))")
        #expect(
            state.contains(#""traceLink":"http:\/\/traces.example\/trace\/\#(Self.callerTrace)""#)
                || state.contains(#""traceLink":"http://traces.example/trace/\#(Self.callerTrace)""#),
            "\(state.prefix(600))")
        #expect(state.contains(#""traceId":"\#(wholeTrace[1])""#))

        // Streamed: root, admission, queue, prefill (one chunk: the prompt is short), decode, stream.
        let streamSpans = try spans(of: Self.callerTrace, in: receiver, count: 6)
        let streamRoot = try checkTree(streamSpans, parent: Self.callerSpan, name: "POST /v1/chat/completions")
        #expect(streamRoot.spanID == fields[2], "the answered traceparent does not name the request's span")
        #expect(streamRoot.attributes["batchgate.request_id"] == "traced-1")
        #expect(streamRoot.attributes["http.response.status_code"] == "200")
        #expect(streamRoot.attributes["batchgate.model"] == "tiny")
        #expect(streamRoot.attributes["batchgate.key"] == "live")
        #expect(streamRoot.attributes["gen_ai.usage.output_tokens"] == "6")
        let streamNames = streamSpans.map(\.name).sorted()
        #expect(
            streamNames == ["POST /v1/chat/completions", "admission", "decode", "prefill", "queue", "stream"],
            "\(streamNames)")
        let prompt = try #require(streamRoot.attributes["gen_ai.usage.input_tokens"].flatMap { Int($0) })
        let prefill = try #require(streamSpans.first { $0.name == "prefill" })
        #expect(prefill.attributes["batchgate.prefill.tokens"] == "\(prompt)")
        #expect(prefill.attributes["batchgate.prefill.last_chunk"] == "true")
        let decode = try #require(streamSpans.first { $0.name == "decode" })
        // Six tokens: the first comes from the prefill step, the other five from five decode steps.
        #expect(decode.attributes["batchgate.decode.steps"] == "5")
        #expect(decode.attributes["batchgate.decode.tokens"] == "5")
        #expect(prefill.end <= decode.start)
        let queue = try #require(streamSpans.first { $0.name == "queue" })
        let admission = try #require(streamSpans.first { $0.name == "admission" })
        #expect(admission.end <= queue.start + 1 && queue.end <= prefill.start + 1)
        let stream = try #require(streamSpans.first { $0.name == "stream" })
        #expect(stream.attributes["batchgate.stream.events"].flatMap { Int($0) } ?? 0 >= 6)

        // Whole: the same without a stream span, and no parent.
        let wholeSpans = try spans(of: wholeTrace[1], in: receiver, count: 5)
        let wholeRoot = try checkTree(wholeSpans, parent: nil, name: "POST /v1/completions")
        #expect(wholeRoot.spanID == wholeTrace[2])
        #expect(
            wholeSpans.map(\.name).sorted() == ["POST /v1/completions", "admission", "decode", "prefill", "queue"])
        #expect(wholeSpans.first { $0.name == "decode" }?.attributes["batchgate.decode.steps"] == "3")

        // Refused: the root (status 429) and a failed admission span, nothing else.
        let refusedSpans = try spans(of: refusedTrace[1], in: receiver, count: 2)
        let refusedRoot = try checkTree(refusedSpans, parent: nil, name: "POST /v1/completions")
        #expect(refusedRoot.attributes["http.response.status_code"] == "429")
        #expect(refusedSpans.map(\.name).sorted() == ["POST /v1/completions", "admission"])
        let refusal = try #require(refusedSpans.first { $0.name == "admission" })
        #expect(refusal.attributes["batchgate.admission.outcome"] == "refused")
        #expect(refusal.attributes["batchgate.admission.reason"] == "rate_limit_exceeded")
        #expect(refusal.attributes["error.type"] == "requests")

        // Malformed: a new trace, rooted without a parent.
        let malformedSpans = try spans(of: malformedTrace[1], in: receiver, count: 5)
        try checkTree(malformedSpans, parent: nil, name: "POST /v1/completions")
        #expect(receiver.errors.isEmpty, "\(receiver.errors)")
        #expect(!gateway.logText.contains("Failed to extract"), "\(gateway.logText.suffix(2000))")
    }
}
