import BatchgateConfig
import BatchgateTestSupport
import Foundation
import Glibc
import Testing

/// Routing between two real `batchgate serve` nodes on one PostgreSQL: node A serves only `other`, node B only
/// `tiny`; requests for `tiny` sent to A are answered by B, streamed token by token, charged and recorded once; a
/// forged forwarding header is refused; B killed mid-stream ends A's client's stream with an error event.
@Suite(
    "Routing between nodes (live)", .serialized,
    .enabled(if: TemporaryPostgres.installed || TemporaryPostgres.required, "PostgreSQL 15 is not installed"))
struct RoutingLiveTests {
    static let key = "bg-routing-test-key"
    static let adminKey = "bg-routing-admin-key"
    static var keys: String {
        """
          - name: tester
            sha256: \(APIKeyDigest.sha256Hex(of: key))
          - name: operator
            sha256: \(APIKeyDigest.sha256Hex(of: adminKey))
            admin: true
        """
    }

    /// The database, the shared files, and nodes B (serving `tiny`) and A (serving `other`), started in that order.
    static func cluster() throws -> (TemporaryPostgres, ClusterNode.Shared, a: ClusterNode, b: ClusterNode) {
        let database = try TemporaryPostgres()
        let shared = try ClusterNode.Shared(database: database)
        let b = try ClusterNode(
            name: "node-b", shared: shared,
            models: [.init(name: "tiny", path: try WorkerSupport.tinyModel(context: 4096))], keys: keys)
        let a = try ClusterNode(
            name: "node-a", shared: shared,
            models: [.init(name: "other", path: try WorkerSupport.tinyModel(context: 4096))], keys: keys)
        return (database, shared, a, b)
    }

    /// Waits until `node` lists `model` in `/v1/models` (its view of the peers has been read).
    static func waitForModel(_ model: String, on node: ClusterNode) throws {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let list = try node.curl([node.url("/v1/models"), "-H", "Authorization: Bearer \(key)"]).output
            if list.contains(#""id":"\#(model)""#) { return }
            usleep(100_000)
        }
        Issue.record("\(node.name) never listed \(model):\n\(node.logText)")
    }

    @Test("A request for a model only the peer serves is answered by it, whole and streamed, and recorded once")
    func forwardsAndRecordsOnce() throws {
        let (database, shared, a, b) = try Self.cluster()
        defer {
            a.stop()
            b.stop()
            database.stop()
            shared.remove()
        }
        try Self.waitForModel("tiny", on: a)
        let models = try a.curl([a.url("/v1/models"), "-H", "Authorization: Bearer \(Self.key)"]).output
        #expect(models.contains(#""id":"other""#) && models.contains(#""id":"tiny""#), "\(models)")

        // Greedy decoding: the answer through A is B's own answer, token for token.
        let whole = try a.curl(a.chatArguments(model: "tiny", key: Self.key, maxTokens: 5, stream: false))
        #expect(whole.output.contains(#""object":"chat.completion""#), "\(whole.output)\n\(a.logText)")
        #expect(whole.output.contains(#""completion_tokens":5"#), "\(whole.output)")
        let direct = try b.curl(b.chatArguments(model: "tiny", key: Self.key, maxTokens: 5, stream: false))
        #expect(Self.content(whole.output) == Self.content(direct.output), "\(whole.output)\n\(direct.output)")
        #expect(Self.content(whole.output) != nil)

        let streamed = try a.curl(a.chatArguments(model: "tiny", key: Self.key, maxTokens: 6, stream: true))
        let events = streamed.output.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        // The role chunk, token chunks, the finish chunk and [DONE].
        #expect(events.count >= 4, "\(streamed.output)")
        #expect(events.first?.contains(#""role":"assistant""#) == true, "\(streamed.output)")
        #expect(events.dropLast().last?.contains(#""finish_reason":"length""#) == true, "\(streamed.output)")
        #expect(events.last == "data: [DONE]")

        // B answered all three (A serves no `tiny`); A forwarded two and counted them as answered, not as its own.
        #expect(try b.metric(#"batchgate_requests_total{model="tiny""#) == 3)
        #expect(try a.metric(#"batchgate_requests_forwarded_total{peer="node-b",outcome="answered"}"#) == 2)
        #expect(try a.metric(#"batchgate_requests_total{model="tiny""#) == 0)

        // Tokenizing for a model only B serves is B's answer too (and no usage record).
        let tokenized = try a.curl([
            a.url("/tokenize"), "-H", "Authorization: Bearer \(Self.key)", "-H", "Content-Type: application/json",
            "-d", #"{"model":"tiny","prompt":"hello"}"#,
        ]).output
        #expect(tokenized.contains(#""tokens":["#), "\(tokenized)")

        // A client cannot pose as a node: forged forwarding headers are refused, on either node.
        for node in [a, b] {
            let forged = try node.curl(
                [node.url("/v1/chat/completions"), "-w", "\n%{http_code}"]
                    + Array(
                        node.chatArguments(
                            model: "tiny", key: "not-a-key", maxTokens: 2, stream: false,
                            headers: [
                                "x-batchgate-forwarded-from: node-a", "x-batchgate-forwarded-to: \(node.name)",
                                "x-batchgate-forwarded-key: operator", "x-batchgate-forwarded-at: 0",
                                "x-batchgate-forwarded-signature: " + String(repeating: "ab", count: 32),
                            ]
                        ).dropFirst()))
            #expect(forged.output.hasSuffix("\n401"), "\(forged.output)")
            #expect(forged.output.contains("invalid_peer_signature"), "\(forged.output)")
        }

        // Usage: one record per request sent, all written by B (the node that served them), none by A. The
        // refused forgeries authenticated no key, so they are not usage records.
        let deadline = Date().addingTimeInterval(10)
        var report = ""
        while Date() < deadline {
            report = try a.curl([
                a.url("/v1/usage?since=1h&by=node,key,model,status&format=csv"), "-H",
                "Authorization: Bearer \(Self.adminKey)",
            ]).output
            if report.contains("node-b,tester,tiny,200,3,") { break }
            usleep(200_000)
        }
        let rows = report.split(separator: "\r\n").dropFirst()
        #expect(
            rows.map { $0.split(separator: ",").prefix(5).joined(separator: ",") } == ["node-b,tester,tiny,200,3"],
            "\(report)")
    }

    /// The `content` of a whole chat completion's message.
    static func content(_ body: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let choices = object["choices"] as? [[String: Any]],
            let message = choices.first?["message"] as? [String: Any]
        else { return nil }
        return message["content"] as? String
    }

    @Test("The peer killed mid-stream: the client's stream through A ends with an error event and [DONE]")
    func peerDiesMidStream() throws {
        let (database, shared, a, b) = try Self.cluster()
        defer {
            a.stop()
            b.stop()
            database.stop()
            shared.remove()
        }
        try Self.waitForModel("tiny", on: a)
        let output = shared.folder.appendingPathComponent("stream.txt")
        let curl = try a.startCurl(
            a.chatArguments(model: "tiny", key: Self.key, maxTokens: 4000, stream: true), output: output)
        defer { if curl.isRunning { curl.terminate() } }
        // Wait for tokens to flow through A, then kill B.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if text.components(separatedBy: "\n\n").count > 4 { break }
            usleep(20_000)
        }
        b.kill()
        curl.waitUntilExit()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        let events = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.count >= 4, "\(text.prefix(2000))")
        #expect(events.last == "data: [DONE]", "\(text.suffix(600))")
        let error = events.dropLast().last ?? ""
        #expect(error.hasPrefix(#"data: {"error":"#), "\(error)")
        #expect(error.contains(#""code":"peer_failed""#), "\(error)")
        #expect(!text.contains(#""finish_reason":"length""#), "the stream was meant to be cut before its end")
        #expect(try a.metric(#"batchgate_requests_forwarded_total{peer="node-b",outcome="failed"}"#) == 1)

        // B is gone: until its heartbeat ages out, a request for `tiny` finds it unreachable and gets A's 503.
        let refused = try a.curl(
            [a.url("/v1/chat/completions"), "-w", "\n%{http_code}"]
                + Array(a.chatArguments(model: "tiny", key: Self.key, maxTokens: 2, stream: false).dropFirst()))
        #expect(refused.output.hasSuffix("\n503") || refused.output.hasSuffix("\n404"), "\(refused.output)")
    }
}
