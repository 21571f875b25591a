import BatchgateTestSupport
import Foundation
import Synchronization
import Testing

/// Issue 20's cluster test: three real `batchgate serve` nodes on one real PostgreSQL (Docs/cluster.md).
@Suite(
    "Three nodes, one PostgreSQL", .serialized,
    .enabled(if: TemporaryPostgres.installed || TemporaryPostgres.required, "PostgreSQL 15 is not installed"))
struct ClusterTests {
    @Test(
        "A load over all three nodes on a 60-per-minute key gets 60 through in a whole window; batchgate usage agrees")
    func requestsPerMinuteAcrossNodes() async throws {
        let key = TestKey(name: "rpm", quota: "{requests_per_minute: 60}")
        let cluster = try await TestCluster(keys: [key])
        defer { cluster.shutdown() }
        // One whole window: from just after the next minute starts to just before it ends.
        let now = Date().timeIntervalSince1970
        let start = Date(timeIntervalSince1970: ((now + 1) / 60).rounded(.up) * 60)
        try await sleep(until: start.addingTimeInterval(0.3))
        let end = start.addingTimeInterval(59.5)
        let answers: [String: [HTTPClient.Answer]] = await withTaskGroup(
            of: (String, [HTTPClient.Answer]).self
        ) { group in
            for node in cluster.nodes {
                group.addTask {
                    var answers: [HTTPClient.Answer] = []
                    while Date() < end {
                        answers.append(await HTTPClient.shared.chat(node, key: key.secret))
                        try? await Task.sleep(for: .milliseconds(150))
                    }
                    return (node.name, answers)
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        let all = answers.values.flatMap { $0 }
        let admitted = all.filter { $0.status == 200 }.count
        let refused = all.filter { $0.status == 429 }.count
        #expect(abs(admitted - 60) <= 1, "admitted \(admitted) of \(all.count) in one window")
        #expect(admitted + refused == all.count, "every other answer is 429: \(Set(all.map(\.status)))")
        for (node, answers) in answers {
            #expect(answers.contains { $0.status == 200 }, "node \(node) admitted some")
            #expect(answers.count > 100, "node \(node) had a load: \(answers.count) requests")
        }
        #expect(all.allSatisfy { $0.status != 429 || $0.body.contains("60 requests per minute") })

        // Every request was recorded once, refused ones as errors, and `batchgate usage` sums them.
        try await expectUsage(cluster, ["rpm/tiny": (all.count, refused)])
    }

    @Test("A model only node B serves answers through node A, streamed token by token; B records it, once")
    func modelOnlyOnePeerServes() async throws {
        let key = TestKey(name: "route", quota: nil)
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("peer-secret-\(UUID().uuidString)")
        try Data("cluster-test-peer-secret-\(UUID().uuidString)".utf8).write(to: secret)
        defer { try? FileManager.default.removeItem(at: secret) }
        let solo = """
              - name: solo
                path: {path}
                workers: 1
                threads: 1
                kv_cache_mib: 8
                chat_template: llama2
            """
        let cluster = try await TestCluster(
            keys: [key], cluster: "  peer_secret_file: \(secret.path)", onlyOn: ["b": solo])
        defer { cluster.shutdown() }
        let a = cluster.node("a")
        // A learns B's models from the membership table, re-read every heartbeat.
        let deadline = Date().addingTimeInterval(30)
        while !(await HTTPClient.shared.get(a.url("/v1/models"), key: key.secret).body.contains("\"solo\"")),
            Date() < deadline
        {
            try await Task.sleep(for: .milliseconds(500))
        }
        let output = cluster.folder.appendingPathComponent("routed-stream.txt")
        let stream = try HTTPClient.startStream(a, key: key.secret, model: "solo", maxTokens: 24, output: output)
        stream.waitUntilExit()
        let body = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        let events = body.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }
        #expect(stream.terminationStatus == 0, "curl: \(stream.terminationStatus)")
        #expect(events.last == "data: [DONE]", "\(body.suffix(500))")
        // B's events relayed one by one: many content events (a token whose bytes end no character yet gives none:
        // the detokenizer holds them), then the finish at the token limit and [DONE].
        let content = events.filter { $0.contains("\"content\"") && $0.contains("\"model\":\"solo\"") }
        #expect(content.count >= 12, "\(content.count) content events of 24 tokens: \(body.prefix(800))")
        #expect(events.contains { $0.contains("\"finish_reason\":\"length\"") }, "\(body.suffix(800))")
        #expect(!body.contains("\"error\""), "\(body.suffix(800))")
        // Node A does not serve it: B ran it and recorded it, nobody else did.
        try await expectUsage(cluster, ["route/solo/b": (1, 0)], by: "key,model,node")
        let usage = try await cluster.usage(by: "key,model,node")
        #expect(usage["route/solo/a"] == nil && usage["route/solo/c"] == nil)
    }

    @Test(
        "SIGKILL of node B mid-stream fails only B's stream; B's concurrency slot returns after the lease time")
    func nodeDiesMidStream() async throws {
        let key = TestKey(name: "streams", quota: "{concurrent_requests: 3}")
        let cluster = try await TestCluster(keys: [key])
        defer { cluster.shutdown() }
        let bucket = "streams/tiny/concurrency"
        let outputs = cluster.nodes.map { cluster.folder.appendingPathComponent("stream-\($0.name).txt") }
        var streams: [Process] = []
        for (node, output) in zip(cluster.nodes, outputs) {
            streams.append(try await admittedStream(node, key: key, output: output))
        }
        #expect(try await cluster.slots(bucket)["b"] == 1, "B holds the slot of its stream")
        cluster.node("b").kill()
        let killedAt = Date()
        for stream in streams { stream.waitUntilExit() }
        let texts = outputs.map { (try? String(contentsOf: $0, encoding: .utf8)) ?? "" }
        for (index, name) in ["a", "b", "c"].enumerated() {
            if name == "b" {
                #expect(streams[index].terminationStatus != 0, "curl reports B's stream as cut")
                #expect(!texts[index].contains("[DONE]"), "B's stream did not end normally")
            } else {
                #expect(streams[index].terminationStatus == 0)
                #expect(texts[index].contains(#""finish_reason":"length""#), "\(name): \(texts[index].suffix(300))")
                #expect(texts[index].hasSuffix("data: [DONE]\n\n"), "\(name)'s stream is whole")
            }
        }
        // B's hold lapses after the lease time; the next change by A or C reclaims it.
        var slots = try await cluster.slots(bucket)
        while slots["b"] != nil, Date().timeIntervalSince(killedAt) < Double(TestCluster.leaseTime) + 5 {
            try await Task.sleep(for: .milliseconds(200))
            slots = try await cluster.slots(bucket)
        }
        #expect(slots["b"] == nil, "B's slots were reclaimed: \(slots)")
        #expect(
            Date().timeIntervalSince(killedAt) >= Double(TestCluster.leaseTime) - 1.6,
            "not before its lease (renewed at half the lease time) lapsed")
        #expect(slots[""] == (slots["a"] ?? 0) + (slots["c"] ?? 0), "the total is A's and C's: \(slots)")
        // A and C can use all three slots again: three streams at once, one refused while they run.
        let more = (0..<3).map { cluster.folder.appendingPathComponent("more-\($0).txt") }
        var running: [Process] = []
        for (index, output) in more.enumerated() {
            running.append(try await admittedStream(cluster.nodes[index == 2 ? 2 : 0], key: key, output: output))
        }
        let fourth = await HTTPClient.shared.chat(cluster.node("c"), key: key.secret)
        #expect(fourth.status == 429, "a fourth concurrent request is refused: \(fourth.status) \(fourth.body)")
        #expect(fourth.body.contains("3 concurrent requests"))
        #expect(running.allSatisfy { $0.isRunning }, "the three streams were still running at the check")
        for stream in running { stream.waitUntilExit() }
    }

    @Test(
        "PostgreSQL stopped for 30 s: nodes serve on their leases, then fail closed (503), say so, and recover")
    func databaseLoss() async throws {
        let limited = TestKey(name: "limited", quota: "{requests_per_minute: 600}")
        let open = TestKey(name: "open", quota: nil)
        let cluster = try await TestCluster(keys: [limited, open], cluster: "  on_database_loss: fail_closed")
        defer { cluster.shutdown() }
        // Stop well inside a minute window, so that the lease time after the stop does not cross into the next.
        while !(2...45).contains(secondsIntoMinute()) { try await Task.sleep(for: .milliseconds(500)) }
        let stopAt = Date().addingTimeInterval(3)
        let startAt = stopAt.addingTimeInterval(30)
        let end = startAt.addingTimeInterval(25)
        let recovered = FirstSeen()
        let load = Task {
            await withTaskGroup(of: [(key: String, answer: HTTPClient.Answer)].self) { group in
                for node in cluster.nodes {
                    group.addTask {
                        var answers: [(String, HTTPClient.Answer)] = []
                        while Date() < end {
                            for key in [limited, open] {
                                let answer = await HTTPClient.shared.chat(node, key: key.secret)
                                answers.append((key.name, answer))
                                if key.name == "limited", answer.status == 200, answer.sentAt > startAt {
                                    recovered.note(node.name, answer.sentAt)
                                }
                            }
                            try? await Task.sleep(for: .milliseconds(200))
                        }
                        return answers
                    }
                }
                return await group.reduce(into: []) { $0 += $1 }
            }
        }
        try await sleep(until: stopAt)
        try await onOwnThread { try cluster.postgres.stopServer() }
        let stopped = Date()
        try await sleep(until: stopped.addingTimeInterval(Double(TestCluster.leaseTime) + 3))
        for node in cluster.nodes {
            let ready = await HTTPClient.shared.get(node.url("/health/ready"))
            #expect(ready.status == 200, "\(node.name) stays ready without the store")
            #expect(ready.body.contains(#""state_store":"lost""#), "\(node.name): \(ready.body)")
            #expect(await cluster.metric(node, "batchgate_state_store_up") == 0, "\(node.name)'s metric")
        }
        try await sleep(until: stopped.addingTimeInterval(30))
        // Taken before the start: the server accepts connections a little before `pg_ctl start -w` returns, and a
        // node that reconnects in that gap admits again at once.
        let restarted = Date()
        try await onOwnThread { try cluster.postgres.start() }
        let answers = await load.value

        let limitedAnswers = answers.filter { $0.key == "limited" }.map(\.answer)
        let openAnswers = answers.filter { $0.key == "open" }.map(\.answer)
        let lapsed = stopped.addingTimeInterval(Double(TestCluster.leaseTime) + 1)
        #expect(
            limitedAnswers.contains { $0.status == 200 && $0.sentAt > stopped.addingTimeInterval(0.2) },
            "limited requests went on within the leases after the store was lost")
        let whileLost = limitedAnswers.filter { $0.sentAt > lapsed && $0.sentAt < restarted }
        #expect(!whileLost.isEmpty)
        #expect(
            whileLost.allSatisfy { $0.status == 503 && $0.body.contains("quota_store_unavailable") },
            "once the leases ran out, limited requests get the documented 503: \(Set(whileLost.map(\.status)))")
        #expect(openAnswers.allSatisfy { $0.status == 200 }, "an unlimited key is never affected")
        let back = recovered.dates.withLock { $0 }
        for node in cluster.nodes {
            let at = back[node.name]
            let exited = node.isRunning ? "" : "; it exited:\n\(node.logText.suffix(6000))"
            #expect(at != nil, "\(node.name) admits limited requests again after PostgreSQL is back\(exited)")
            if let at { #expect(at.timeIntervalSince(restarted) < 15, "\(node.name) recovered within 15 s") }
            let ready = await HTTPClient.shared.get(node.url("/health/ready"))
            #expect(ready.body.contains(#""state_store":"ok""#), "\(node.name): \(ready.body)")
            #expect(await cluster.metric(node, "batchgate_state_store_up") == 1)
        }
        // Nothing was lost: the usage buffered while the store was down was written once it was back.
        try await expectUsage(
            cluster,
            [
                "limited/tiny": (limitedAnswers.count, limitedAnswers.filter { $0.status != 200 }.count),
                "open/tiny": (openAnswers.count, 0),
            ])
    }

    /// Starts a stream on `node`, again while it is refused (a node's first slot may still be on its way), until it
    /// streams; returns the curl process.
    func admittedStream(_ node: ClusterNode, key: TestKey, output: URL) async throws -> Process {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let curl = try HTTPClient.startStream(node, key: key.secret, maxTokens: 4000, output: output)
            while curl.isRunning {
                let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
                if text.contains("data: ") { return curl }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw ClusterError(
            "no stream admitted on \(node.name): \((try? String(contentsOf: output, encoding: .utf8)) ?? "")")
    }

    /// Waits (up to 20 s: usage is written every second) until `batchgate usage` shows `expected` per key/model.
    func expectUsage(
        _ cluster: TestCluster, _ expected: [String: (requests: Int, errors: Int)], by dimensions: String = "key,model"
    ) async throws {
        let deadline = Date().addingTimeInterval(20)
        var usage = try await cluster.usage(by: dimensions)
        func matches() -> Bool {
            expected.allSatisfy {
                usage[$0.key]?.requests == $0.value.requests && usage[$0.key]?.errors == $0.value.errors
            }
        }
        while !matches(), Date() < deadline {
            try await Task.sleep(for: .seconds(1))
            usage = try await cluster.usage(by: dimensions)
        }
        for (group, want) in expected {
            #expect(usage[group]?.requests == want.requests, "\(group): usage \(String(describing: usage[group]))")
            #expect(usage[group]?.errors == want.errors, "\(group): errors")
        }
    }
}

/// The first time each node did something, noted from concurrent tasks.
final class FirstSeen: Sendable {
    let dates = Mutex<[String: Date]>([:])

    /// Notes `date` for `node` unless one is noted already.
    func note(_ node: String, _ date: Date) {
        dates.withLock { if $0[node] == nil { $0[node] = date } }
    }
}
