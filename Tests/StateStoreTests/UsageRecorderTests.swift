import Foundation
import Logging
import Synchronization
import Testing

@testable import StateStore

/// A store whose writes fail while `down` is set, keeping what it was given.
final class FlakyStore: StateStore {
    let down = Mutex(false)
    let written = Mutex<[UsageRecord]>([])

    func insertUsage(_ records: [UsageRecord]) async throws {
        if down.withLock({ $0 }) { throw StateStoreError.unavailable("test") }
        written.withLock { $0 += records }
    }
    func usage(_ query: UsageQuery) async throws -> UsageReport { UsageReport(query: query, rows: []) }
    func takeLease(_ request: LeaseRequest) async throws -> Int { 0 }
    func returnLease(bucket: String, windowStart: Date, amount: Int) async throws {}
    func leaseSlots(_ request: SlotRequest) async throws -> SlotHolding { SlotHolding(held: 0, clusterHeld: 0) }
    func heartbeat(_ member: Member) async throws {}
    func members(seenSince: Date) async throws -> [Member] { [] }
    func close() async {}
}

@Suite("Usage recorder")
struct UsageRecorderTests {
    @Test("While the store is down, records wait up to the bound; the rest are dropped and counted; then written")
    func boundedBufferWhileDown() async {
        let store = FlakyStore()
        store.down.withLock { $0 = true }
        let droppedCount = Mutex(0)
        let recorder = UsageRecorder(
            store: store, capacity: 5, batchSize: 2, logger: Logger(label: "test"),
            onDrop: { count in droppedCount.withLock { $0 += count } })
        for index in 0..<8 { recorder.record(usage(key: "k\(index)", model: "m")) }
        #expect(await recorder.flushOnce() == false)
        #expect(recorder.storeDown)
        #expect(recorder.pending == 5)
        #expect(recorder.dropped == 3)
        #expect(droppedCount.withLock { $0 } == 3)

        store.down.withLock { $0 = false }
        while await recorder.flushOnce() {}
        #expect(recorder.pending == 0)
        #expect(!recorder.storeDown)
        #expect(store.written.withLock { $0.map(\.key) } == ["k0", "k1", "k2", "k3", "k4"], "oldest first, in order")
    }

    @Test("The writer loop writes within its interval and flushes what is left when cancelled")
    func runLoop() async throws {
        let store = FlakyStore()
        let recorder = UsageRecorder(
            store: store, capacity: 100, batchSize: 50, interval: .milliseconds(100), logger: Logger(label: "test"))
        let writer = Task { await recorder.run() }
        recorder.record(usage(key: "a", model: "m"))
        let deadline = ContinuousClock.now + .seconds(5)
        while store.written.withLock({ $0.isEmpty }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(store.written.withLock { $0.count } == 1)
        recorder.record(usage(key: "b", model: "m"))
        writer.cancel()
        await writer.value
        #expect(store.written.withLock { $0.map(\.key) } == ["a", "b"])
    }
}
