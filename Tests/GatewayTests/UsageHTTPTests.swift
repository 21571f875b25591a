import BatchgateConfig
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Logging
import StateStore
import Testing

/// Usage accounting through the API: every finished request recorded once, `GET /v1/usage` for admin keys only.
@Suite("Usage over HTTP", .serialized)
struct UsageHTTPTests {
    static let adminKey = "bg-test-admin-key"
    static var keys: [BatchgateConfiguration.APIKey] {
        TestKeys.entries + [.init(name: "operator", sha256: [APIKeyDigest.sha256Hex(of: adminKey)], admin: true)]
    }
    static let small = #"{"model":"tiny","prompt":[1,15,200],"max_tokens":2,"ignore_eos":true}"#
    static let streamed = #"{"model":"tiny","prompt":[1,15,200],"max_tokens":3,"ignore_eos":true,"stream":true}"#

    @Test("Finished requests are recorded with their tokens and status; /v1/usage sums them for admins only")
    func recordsAndReports() async throws {
        let gateway = try TestGateway(keys: Self.keys)
        let store = try await SQLStateStore.open(try await SQLiteBackend(memoryLogger: Logger(label: "test")))
        let recorder = UsageRecorder(store: store, logger: Logger(label: "test"))
        var state = gateway.state
        state.cluster = ClusterState(nodeName: "node-a", store: store, usage: recorder)
        let app = try GatewayServer.application(state: state, tls: nil, services: [gateway.scheduler])
        try await app.test(.router) { client in
            #expect(try await client.post("/v1/completions", json: Self.small).status == .ok)
            #expect(try await client.post("/v1/completions", json: Self.streamed).status == .ok)
            #expect(try await client.post("/v1/completions", json: Self.small, key: Self.adminKey).status == .ok)
            let unknownModel = try await client.post("/v1/completions", json: #"{"model":"nope","prompt":"x"}"#)
            #expect(unknownModel.status == .notFound, "no served model: not a usage record")
            #expect(try await client.get("/v1/models").status == .ok, "no model named: not a usage record")

            let deadline = ContinuousClock.now + .seconds(10)
            while recorder.pending < 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(recorder.pending == 3)
            while await recorder.flushOnce() {}

            let refused = try await client.get("/v1/usage")
            #expect(refused.status == .forbidden)
            #expect(refused.text.contains("admin_required"))

            let report = try await client.get("/v1/usage?since=1h&by=key,model,status", key: Self.adminKey)
            #expect(report.status == .ok)
            let object = try JSONSerialization.jsonObject(with: Data(report.text.utf8)) as? [String: Any]
            let rows = try #require(object?["data"] as? [[String: Any]])
            let summary = rows.map {
                "\($0["key"] ?? "")/\($0["model"] ?? "")/\($0["status"] ?? "")=\($0["requests"] ?? "")"
                    + "+\($0["completion_tokens"] ?? "")"
            }
            #expect(summary == ["operator/tiny/200=1+2", "tester/tiny/200=2+5"])

            let csv = try await client.get("/v1/usage?by=node&format=csv", key: Self.adminKey)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(csv.text.hasPrefix("node,requests,"))
            #expect(csv.text.contains("node-a,3,"))

            let bad = try await client.get("/v1/usage?since=yesterday", key: Self.adminKey)
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("since must be a duration"))
        }
        await store.close()
    }
}
