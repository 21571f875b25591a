import BatchgateConfig
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import Scheduler
import StateStore
import Testing

@testable import Gateway

/// Routing between two in-process gateways over plain HTTP on loopback: node B listens on a real port, node A is
/// driven in memory and knows B from a membership list the test writes. Covers the queue-full spill, the hop limit,
/// forged forwarding headers, and usage recorded once.
@Suite("Peer routing over HTTP", .serialized)
struct PeerRoutingHTTPTests {
    static let secret = Array("0123456789abcdef0123456789abcdef-http".utf8)

    /// `gateway`'s state as node `name` of a cluster: an in-memory usage store, and routing whose directory holds
    /// `peers`.
    static func node(
        _ name: String, _ gateway: TestGateway, peers: [Member]
    ) async throws -> (GatewayState, UsageRecorder, any StateStore) {
        let logger = Logger(label: "test")
        let store = try await SQLStateStore.open(try await SQLiteBackend(memoryLogger: logger))
        let recorder = UsageRecorder(store: store, logger: logger)
        var listener = BatchgateConfiguration.Listener()
        listener.plaintext = true
        let directory = PeerDirectory(node: name, store: store, interval: .seconds(60), logger: logger)
        directory.replace(peers)
        var cluster = ClusterState(nodeName: name, store: store, usage: recorder)
        cluster.routing = PeerRouting(
            directory: directory, credential: try PeerCredential(secret: secret, node: name),
            proxy: try PeerProxy(listener: listener, tls: nil, peerCAFile: nil),
            factory: DescribedMetricsFactory(registry: gateway.registry))
        var state = gateway.state
        state.cluster = cluster
        return (state, recorder, store)
    }

    /// Closes what `node` opened: the proxy's connections and the store.
    static func close(_ state: GatewayState, _ store: any StateStore) async {
        await state.cluster?.routing?.proxy.shutdown()
        await store.close()
    }

    static func member(_ node: String, port: Int, models: [String]) -> Member {
        Member(
            node: node, address: "127.0.0.1:\(port)", models: models, workers: 1, queueDepth: 0, freeKVBlocks: 100,
            seenAt: Date())
    }

    static let small = #"{"model":"tiny","prompt":[1,15,200],"max_tokens":3,"ignore_eos":true}"#

    /// Waits until `recorder` holds `count` records (the stream's record is written when it ends).
    static func waitForRecords(_ recorder: UsageRecorder, _ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while recorder.pending < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    @Test("A full queue on A spills to B; B answers, charges and records it once; A records nothing of it")
    func queueFullSpills() async throws {
        let gatewayB = try TestGateway()
        let (stateB, recorderB, storeB) = try await Self.node("node-b", gatewayB, peers: [])
        let appB = try GatewayServer.application(
            state: {
                var state = stateB; state.listener.host = "127.0.0.1"; state.listener.port = 0; return state
            }(),
            tls: nil, services: [gatewayB.scheduler])
        try await appB.test(.live) { clientB in
            let portB = try #require(clientB.port)
            let hold = StepHold()
            let gatewayA = try TestGateway(
                limits: SchedulerLimits(maxBatchTokens: 256, maxRunning: 1, maxQueue: 1), hold: hold)
            let (stateA, recorderA, storeA) = try await Self.node(
                "node-a", gatewayA, peers: [Self.member("node-b", port: portB, models: ["tiny"])])
            let appA = try GatewayServer.application(state: stateA, tls: nil, services: [gatewayA.scheduler])
            try await appA.test(.router) { clientA in
                // One request running (its steps held) and then one waiting fill A's queue of one.
                let scheduler = gatewayA.scheduler
                async let first = clientA.post("/v1/completions", json: Self.small)
                let deadline = ContinuousClock.now + .seconds(30)
                while scheduler.snapshot.running < 1, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                async let second = clientA.post("/v1/completions", json: Self.small)
                while !scheduler.refusesForCapacity, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(gatewayA.scheduler.refusesForCapacity)

                let spilled = try await clientA.post("/v1/completions", json: Self.small)
                #expect(spilled.status == .ok, "\(spilled.text)")
                #expect(spilled.text.contains(#""completion_tokens":3"#), "\(spilled.text)")
                let streamed = try await clientA.post(
                    "/v1/completions", json: #"{"model":"tiny","prompt":[1,15],"max_tokens":4,"stream":true}"#)
                #expect(streamed.status == .ok)
                #expect(streamed.headers[.contentType]?.hasPrefix("text/event-stream") == true)
                #expect(streamed.text.hasSuffix("data: [DONE]\n\n"), "\(streamed.text)")
                #expect(streamed.text.contains(#""finish_reason":"length""#), "\(streamed.text)")

                hold.release()
                #expect(try await first.status == .ok)
                #expect(try await second.status == .ok)
                try await Self.waitForRecords(recorderB, 2)
                try await Self.waitForRecords(recorderA, 2)
                try await Task.sleep(for: .milliseconds(200))
                #expect(recorderB.pending == 2, "B records the two requests it served")
                #expect(recorderA.pending == 2, "A records only the two it served itself")
                let metrics = try await clientA.get("/metrics").text
                #expect(
                    metrics.contains(#"batchgate_requests_forwarded_total{peer="node-b",outcome="answered"} 2"#),
                    "\(metrics)")
            }
            await Self.close(stateA, storeA)
        }
        await Self.close(stateB, storeB)
    }

    @Test("A forwarded request is never forwarded again; a model no node serves ends as this node's 404")
    func hopLimit() async throws {
        let gatewayB = try TestGateway()
        // B believes A serves `ghost`, but must not send a forwarded request on.
        let (stateB, _, storeB) = try await Self.node(
            "node-b", gatewayB, peers: [Self.member("node-a", port: 1, models: ["ghost"])])
        let appB = try GatewayServer.application(
            state: {
                var state = stateB; state.listener.host = "127.0.0.1"; state.listener.port = 0; return state
            }(),
            tls: nil, services: [gatewayB.scheduler])
        try await appB.test(.live) { clientB in
            let portB = try #require(clientB.port)
            let gatewayA = try TestGateway()
            let (stateA, recorderA, storeA) = try await Self.node(
                "node-a", gatewayA, peers: [Self.member("node-b", port: portB, models: ["ghost"])])
            let appA = try GatewayServer.application(state: stateA, tls: nil, services: [gatewayA.scheduler])
            try await appA.test(.router) { clientA in
                let answer = try await clientA.post(
                    "/v1/completions", json: #"{"model":"ghost","prompt":"x","max_tokens":2}"#)
                #expect(answer.status == .notFound, "\(answer.text)")
                #expect(answer.text.contains("model_not_found"), "\(answer.text)")
                try await Task.sleep(for: .milliseconds(200))
                #expect(recorderA.pending == 0)
            }
            await Self.close(stateA, storeA)
        }
        await Self.close(stateB, storeB)
    }

    @Test("Forwarding headers from a client are refused; a node without routing refuses them too")
    func forgedHeadersRefused() async throws {
        let gateway = try TestGateway()
        let (state, _, store) = try await Self.node("node-b", gateway, peers: [])
        let forger = try PeerCredential(secret: Array("not-the-cluster-secret-but-long-enough".utf8), node: "node-a")
        for routing in [true, false] {
            var served = state
            if !routing { served.cluster = nil }
            let app = try GatewayServer.application(state: served, tls: nil, services: [gateway.scheduler])
            try await app.test(.router) { client in
                var headers = forger.sign(
                    to: "node-b", keyName: "tester", requestID: "forged-1", method: .post, path: "/v1/completions")
                headers[.contentType] = "application/json"
                let answer = try await client.execute(
                    uri: "/v1/completions", method: .post, headers: headers, body: ByteBuffer(string: Self.small))
                #expect(answer.status == .unauthorized, "\(answer.text)")
                #expect(answer.text.contains("invalid_peer_signature"), "\(answer.text)")
                // With a valid key as well, the forged headers still decide: refused.
                headers[.authorization] = "Bearer \(TestKeys.good)"
                let withKey = try await client.execute(
                    uri: "/v1/completions", method: .post, headers: headers, body: ByteBuffer(string: Self.small))
                #expect(withKey.status == .unauthorized, "\(withKey.text)")
            }
        }
        await Self.close(state, store)
    }
}
