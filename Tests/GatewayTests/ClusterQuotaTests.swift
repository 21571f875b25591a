import BatchgateConfig
import Foundation
import Logging
import StateStore
import Synchronization
import Testing

@testable import Gateway

/// A wall clock the test sets by hand.
final class ManualDate: Sendable {
    private let date: Mutex<Date>
    init(_ date: Date) { self.date = Mutex(date) }
    func advance(_ seconds: TimeInterval) { date.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var read: @Sendable () -> Date { { [self] in date.withLock { $0 } } }
}

/// A store that can be made unreachable, over a real SQLite store.
final class SwitchableStore: StateStore {
    let inner: any StateStore
    let down = Mutex(false)
    init(_ inner: any StateStore) { self.inner = inner }
    private func check() throws { if down.withLock({ $0 }) { throw StateStoreError.unavailable("switched off") } }
    func insertUsage(_ records: [UsageRecord]) async throws {
        try check()
        try await inner.insertUsage(records)
    }
    func usage(_ query: UsageQuery) async throws -> UsageReport {
        try check()
        return try await inner.usage(query)
    }
    func takeLease(_ request: LeaseRequest) async throws -> Int {
        try check()
        return try await inner.takeLease(request)
    }
    func returnLease(bucket: String, windowStart: Date, amount: Int) async throws {
        try check()
        try await inner.returnLease(bucket: bucket, windowStart: windowStart, amount: amount)
    }
    func leaseSlots(_ request: SlotRequest) async throws -> SlotHolding {
        try check()
        return try await inner.leaseSlots(request)
    }
    func heartbeat(_ member: Member) async throws {
        try check()
        try await inner.heartbeat(member)
    }
    func members(seenSince: Date) async throws -> [Member] {
        try check()
        return try await inner.members(seenSince: seenSince)
    }
    func close() async { await inner.close() }
}

@Suite("Quotas across nodes, on leased slices", .serialized)
struct ClusterQuotaTests {
    static let key = BatchgateConfiguration.APIKey(
        name: "team", sha256: [String(repeating: "0", count: 64)],
        quotas: ["*": .init(requestsPerMinute: 60, tokensPerMinute: 1000)])
    /// 10 s past a minute's start, so a test's few seconds stay in one window.
    static let start = Date(timeIntervalSince1970: 1_800_000_010)

    func nodes(
        _ count: Int, store: any StateStore, clock: ManualDate, loss: LeaseSettings.OnDatabaseLoss = .failClosed
    ) -> [ClusterQuotaPolicy] {
        (0..<count).map { _ in
            let keeper = LeaseKeeper(
                store: store, settings: LeaseSettings(leaseTime: .seconds(5), sliceFraction: 0.1, onDatabaseLoss: loss),
                logger: Logger(label: "test"), now: clock.read)
            return ClusterQuotaPolicy(keeper: keeper, keys: [Self.key], models: ["m"])
        }
    }

    func sqliteStore() async throws -> SQLStateStore {
        try await SQLStateStore.open(try await SQLiteBackend(memoryLogger: Logger(label: "test")))
    }

    func admit(_ node: ClusterQuotaPolicy, prompt: Int = 1) -> GatewayError? {
        do {
            let lease = try node.admit(key: Self.key, model: "m", promptTokens: prompt)
            lease.release()
            return nil
        } catch {
            return error
        }
    }

    @Test("Three nodes hammering one 60-per-minute key admit exactly 60 in the window, then 60 in the next")
    func exactAcrossNodes() async throws {
        let store = try await sqliteStore()
        let clock = ManualDate(Self.start)
        let nodes = nodes(3, store: store, clock: clock)
        for node in nodes { await node.keeper.tick() }
        func drain() async -> Int {
            var admitted = 0
            for _ in 0..<100 {
                for node in nodes {
                    if admit(node) == nil { admitted += 1 } else { await node.keeper.tick() }
                }
            }
            return admitted
        }
        #expect(await drain() == 60)
        let refused = try #require(admit(nodes[0]))
        #expect(refused.status == .tooManyRequests)
        #expect(refused.codeLabel == "requests")
        #expect(refused.retryAfter ?? .zero >= .seconds(40), "the window is spent: retry when it ends")

        clock.advance(60)
        for node in nodes { await node.keeper.tick() }
        #expect(await drain() == 60)
        await store.close()
    }

    @Test("No request waits on the store: an admission spends only what the node holds")
    func firstRequestNeedsASlice() async throws {
        let store = try await sqliteStore()
        let clock = ManualDate(Self.start)
        let node = nodes(1, store: store, clock: clock)[0]
        let refused = try #require(admit(node), "nothing leased yet")
        #expect(refused.status == .tooManyRequests)
        #expect(refused.retryAfter == .seconds(1))
        await node.keeper.tick()
        #expect(admit(node) == nil)
        #expect(node.keeper.holding(ClusterQuotaPolicy.bucket("team", "m", .requests))?.available == 5)
        await store.close()
    }

    @Test("An idle slice is given back after the lease time, so other nodes can have it")
    func idleSlicesReturn() async throws {
        let store = try await sqliteStore()
        let clock = ManualDate(Self.start)
        let node = nodes(1, store: store, clock: clock)[0]
        await node.keeper.tick()
        let bucket = ClusterQuotaPolicy.bucket("team", "m", .requests)
        let window = Date(timeIntervalSince1970: 1_800_000_000)
        // Another node asks for everything left: all but this node's slice of 6.
        #expect(try await store.takeLease(.init(bucket: bucket, windowStart: window, limit: 60, amount: 60)) == 54)
        clock.advance(6)
        await node.keeper.tick()
        #expect(node.keeper.holding(bucket)?.available == 1, "one unit stays for the next request")
        #expect(
            try await store.takeLease(.init(bucket: bucket, windowStart: window, limit: 60, amount: 60)) == 5,
            "the rest of the idle slice went back")
        await node.keeper.tick()
        #expect(node.keeper.holding(bucket)?.available == 1, "no new slice while idle")
        #expect(admit(node) == nil, "the kept unit admits the first request after the quiet spell")
        clock.advance(60)
        await node.keeper.tick()
        #expect(node.keeper.holding(bucket)?.available == 6, "a new window starts with a slice leased ahead")
        await store.close()
    }

    @Test(
        "Store lost: serve on current slices until they expire, then follow on_database_loss; recover when it is back",
        arguments: [LeaseSettings.OnDatabaseLoss.failClosed, .failOpen])
    func storeLoss(_ loss: LeaseSettings.OnDatabaseLoss) async throws {
        let store = SwitchableStore(try await sqliteStore())
        let clock = ManualDate(Self.start)
        let node = nodes(1, store: store, clock: clock, loss: loss)[0]
        await node.keeper.tick()
        store.down.withLock { $0 = true }
        #expect(admit(node) == nil, "within the slice")
        clock.advance(1)
        await node.keeper.tick()
        #expect(!node.keeper.storeUp)
        #expect(admit(node) == nil, "still within the slice and its lease time")
        clock.advance(5)
        await node.keeper.tick()
        let outcome = admit(node)
        switch loss {
        case .failClosed:
            let error = try #require(outcome)
            #expect(error.status == .serviceUnavailable)
            #expect(error.codeLabel == "quota_store_unavailable")
        case .failOpen:
            #expect(outcome == nil)
        }
        store.down.withLock { $0 = false }
        await node.keeper.tick()
        #expect(node.keeper.storeUp)
        #expect(admit(node) == nil)
        await store.close()
    }

    @Test("A node whose slice ran out while the store was lost gets a new one once it is back")
    func recoversWithEmptySlice() async throws {
        let store = SwitchableStore(try await sqliteStore())
        let clock = ManualDate(Self.start)
        let node = nodes(1, store: store, clock: clock)[0]
        await node.keeper.tick()
        store.down.withLock { $0 = true }
        for _ in 0..<6 { #expect(admit(node) == nil) }
        #expect(admit(node)?.status == .tooManyRequests, "the slice of 6 is spent")
        clock.advance(1)
        await node.keeper.tick()
        clock.advance(5)
        #expect(admit(node)?.status == .serviceUnavailable)
        store.down.withLock { $0 = false }
        await node.keeper.tick()
        #expect(node.keeper.storeUp)
        _ = admit(node)
        await node.keeper.tick()
        #expect(admit(node) == nil, "a new slice once the store is back")
        await store.close()
    }

    @Test("An idle node notices a lost store within about a second, with nothing to lease")
    func idleNodeNoticesLoss() async throws {
        let store = SwitchableStore(try await sqliteStore())
        let clock = ManualDate(Self.start)
        let node = nodes(1, store: store, clock: clock)[0]
        await node.keeper.tick()
        for _ in 0..<3 {
            clock.advance(0.1)
            await node.keeper.tick()
        }
        #expect(node.keeper.storeUp)
        store.down.withLock { $0 = true }
        for _ in 0..<12 {
            clock.advance(0.1)
            await node.keeper.tick()
        }
        #expect(!node.keeper.storeUp)
        await store.close()
    }

    @Test("A prompt larger than the whole token quota is refused as never fitting")
    func neverFits() async throws {
        let store = try await sqliteStore()
        let node = nodes(1, store: store, clock: ManualDate(Self.start))[0]
        await node.keeper.tick()
        let error = try #require(admit(node, prompt: 1001))
        #expect(error.status == .tooManyRequests)
        #expect(error.codeLabel == "tokens")
        #expect(error.retryAfter == nil)
        #expect(admit(node, prompt: 10) == nil, "the refused request spent nothing")
        await store.close()
    }
}
