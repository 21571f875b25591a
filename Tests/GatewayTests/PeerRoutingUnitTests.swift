import Foundation
import HTTPTypes
import Logging
import NIOCore
import StateStore
import Testing

@testable import Gateway

/// The parts of routing between nodes, alone: the signed forwarding headers, the view of the peers, the SSE relay's
/// event cutting.
@Suite("Peer routing parts")
struct PeerRoutingUnitTests {
    static let secret = Array("0123456789abcdef0123456789abcdef-test".utf8)

    @Test("A signed forward verifies on the node it names, once, and names its key and sender")
    func signAndVerify() throws {
        let a = try PeerCredential(secret: Self.secret, node: "node-a")
        let b = try PeerCredential(secret: Self.secret, node: "node-b")
        let c = try PeerCredential(secret: Self.secret, node: "node-c")
        let headers = a.sign(to: "node-b", keyName: "team", requestID: "req-1", method: .post, path: "/v1/completions")
        #expect(PeerCredential.isForwarded(headers))
        #expect(headers[RequestIDMiddleware.header] == "req-1")
        #expect(throws: GatewayError.self, "signed for node-b") {
            try c.verify(headers, requestID: "req-1", method: .post, path: "/v1/completions")
        }
        let forwarded = try b.verify(headers, requestID: "req-1", method: .post, path: "/v1/completions")
        #expect(forwarded == PeerCredential.Forwarded(from: "node-a", keyName: "team"))
        let replay = #expect(throws: GatewayError.self) {
            try b.verify(headers, requestID: "req-1", method: .post, path: "/v1/completions")
        }
        #expect(replay?.message.contains("used before") == true)
    }

    @Test("Forgeries are refused with 401 invalid_peer_signature: another key, id, path, time, or secret")
    func forgeries() throws {
        let a = try PeerCredential(secret: Self.secret, node: "node-a")
        let b = try PeerCredential(secret: Self.secret, node: "node-b")
        let stranger = try PeerCredential(secret: Array("another-secret-of-enough-length-0000".utf8), node: "node-a")
        func signed(_ credential: PeerCredential = a, now: Date = Date()) -> HTTPFields {
            credential.sign(
                to: "node-b", keyName: "team", requestID: "req-2", method: .post, path: "/v1/completions", now: now)
        }
        var otherKey = signed()
        otherKey[PeerCredential.Header.key] = "admin"
        let cases: [(HTTPFields, String, String)] = [
            (otherKey, "req-2", "/v1/completions"),
            (signed(), "req-3", "/v1/completions"),
            (signed(), "req-2", "/v1/chat/completions"),
            (signed(now: Date().addingTimeInterval(-120)), "req-2", "/v1/completions"),
            (signed(stranger), "req-2", "/v1/completions"),
            ([PeerCredential.Header.key: "team"], "req-2", "/v1/completions"),
        ]
        for (headers, id, path) in cases {
            let error = #expect(throws: GatewayError.self) {
                try b.verify(headers, requestID: id, method: .post, path: path)
            }
            #expect(error?.status == .unauthorized)
            #expect(error?.codeLabel == "invalid_peer_signature")
        }
    }

    @Test("A secret shorter than 32 bytes is refused")
    func shortSecret() {
        #expect(throws: PeerRoutingError.self) { try PeerCredential(secret: Array("short".utf8), node: "a") }
    }

    static func member(
        _ node: String, models: [String] = ["tiny"], queue: Int = 0, kv: Int = 10, age: TimeInterval = 0,
        workers: Int = 1
    ) -> Member {
        Member(
            node: node, address: "127.0.0.1:1", models: models, workers: workers, queueDepth: queue,
            freeKVBlocks: kv, seenAt: Date().addingTimeInterval(-age))
    }

    @Test("Peers are fresh members other than this node that serve the model, shortest queue then most free KV")
    func candidates() {
        let store = FakeMembers()
        let directory = PeerDirectory(node: "self", store: store, interval: .seconds(1), logger: Logger(label: "t"))
        directory.replace([
            Self.member("self"), Self.member("busy", queue: 5), Self.member("roomy", queue: 1, kv: 50),
            Self.member("tight", queue: 1, kv: 5), Self.member("stale", age: 10),
            Self.member("elsewhere", models: ["other"]),
            Self.member("no-workers", models: ["tiny", "lonely"], workers: 0),
        ])
        #expect(directory.candidates(for: "tiny").map(\.node) == ["roomy", "tight", "busy"])
        #expect(directory.models() == ["other", "tiny"], "not no-workers' models, nor stale ones")
        // What this node sends counts in a peer's queue until the next read.
        directory.sent(to: "roomy")
        directory.sent(to: "roomy")
        #expect(directory.candidates(for: "tiny").map(\.node) == ["tight", "roomy", "busy"])
        // An unreachable peer is left out until a newer heartbeat of it is read.
        directory.unreachable("tight")
        #expect(directory.candidates(for: "tiny").map(\.node) == ["roomy", "busy"])
        directory.replace([Self.member("tight", queue: 1, kv: 5, age: 5), Self.member("busy", queue: 5)])
        #expect(directory.candidates(for: "tiny").map(\.node) == ["busy"])
        directory.replace([Self.member("tight", queue: 1, kv: 5), Self.member("busy", queue: 5)])
        #expect(directory.candidates(for: "tiny").map(\.node) == ["tight", "busy"])
    }

    @Test("The directory reads only heartbeats fresher than three intervals")
    func refreshReadsFreshOnly() async throws {
        let store = FakeMembers()
        store.set([Self.member("peer")])
        let directory = PeerDirectory(node: "self", store: store, interval: .seconds(2), logger: Logger(label: "t"))
        await directory.refresh()
        #expect(directory.candidates(for: "tiny").map(\.node) == ["peer"])
        let since = try #require(store.lastSince)
        #expect(abs(since.timeIntervalSinceNow + 6) < 1)
    }

    @Test("SSE events are cut whole across arbitrary chunk boundaries; [DONE] is noticed")
    func eventSplitting() {
        let text = "data: {\"a\":1}\n\ndata: {\"b\":\"x\\ny\"}\n\ndata: [DONE]\n\n"
        for size in [1, 2, 3, 7, 100] {
            var splitter = SSEEventSplitter()
            var events: [String] = []
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let chunk = bytes.prefix(size)
                bytes = bytes.dropFirst(size)
                events += splitter.feed(ByteBuffer(bytes: chunk)).map { String(buffer: $0) }
            }
            #expect(events == ["data: {\"a\":1}\n\n", "data: {\"b\":\"x\\ny\"}\n\n", "data: [DONE]\n\n"])
            #expect(splitter.sawDone)
            #expect(splitter.pendingBytes == 0)
        }
        var cut = SSEEventSplitter()
        #expect(cut.feed(ByteBuffer(string: "data: {\"a\":1}\n\ndata: {\"b\"")).count == 1)
        #expect(!cut.sawDone)
        #expect(cut.pendingBytes == 10)
    }
}

/// A state store that only answers the membership table, from a list a test sets.
final class FakeMembers: StateStore, @unchecked Sendable {
    // Safe: the tests set and read it from one task at a time, under the lock.
    private let lock = NSLock()
    private var members: [Member] = []
    private(set) var lastSince: Date?

    func set(_ members: [Member]) {
        lock.withLock { self.members = members }
    }

    func members(seenSince: Date) async throws -> [Member] {
        lock.withLock {
            lastSince = seenSince
            return members.filter { $0.seenAt >= seenSince }
        }
    }

    func insertUsage(_ records: [UsageRecord]) async throws {}
    func usage(_ query: UsageQuery) async throws -> UsageReport { UsageReport(query: query, rows: []) }
    func takeLease(_ request: LeaseRequest) async throws -> Int { 0 }
    func returnLease(bucket: String, windowStart: Date, amount: Int) async throws {}
    func leaseSlots(_ request: SlotRequest) async throws -> SlotHolding { SlotHolding(held: 0, clusterHeld: 0) }
    func heartbeat(_ member: Member) async throws {}
    func close() async {}
}
