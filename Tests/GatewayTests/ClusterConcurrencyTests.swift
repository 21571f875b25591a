import BatchgateConfig
import Foundation
import Logging
import StateStore
import Testing

@testable import Gateway

/// A key's concurrent requests across nodes: slots leased from the store, taken in memory, given back when idle,
/// reclaimed after the lease time when a node dies.
@Suite("Concurrent requests across nodes, on leased slots", .serialized)
struct ClusterConcurrencyTests {
    static let key = BatchgateConfiguration.APIKey(
        name: "team", sha256: [String(repeating: "0", count: 64)], quotas: ["*": .init(concurrentRequests: 4)])
    static let bucket = ClusterQuotaPolicy.bucket("team", "m", .concurrency)

    func nodes(
        _ names: [String], store: any StateStore, clock: ManualDate, loss: LeaseSettings.OnDatabaseLoss = .failClosed
    ) -> [ClusterQuotaPolicy] {
        names.map { name in
            let keeper = LeaseKeeper(
                store: store,
                settings: LeaseSettings(leaseTime: .seconds(4), sliceFraction: 0.25, onDatabaseLoss: loss),
                logger: Logger(label: "test"), now: clock.read, node: name)
            return ClusterQuotaPolicy(keeper: keeper, keys: [Self.key], models: ["m"])
        }
    }

    func sqliteStore() async throws -> SQLStateStore {
        try await SQLStateStore.open(try await SQLiteBackend(memoryLogger: Logger(label: "test")))
    }

    func admit(_ node: ClusterQuotaPolicy) -> Result<any QuotaLease, GatewayError> {
        do { return .success(try node.admit(key: Self.key, model: "m", promptTokens: 1)) } catch {
            return .failure(error)
        }
    }

    /// Admits on every node, ticking a node after a refusal, until `rounds` rounds are done; returns the leases.
    func fill(_ nodes: [ClusterQuotaPolicy], rounds: Int = 10) async -> [any QuotaLease] {
        var leases: [any QuotaLease] = []
        for _ in 0..<rounds {
            for node in nodes {
                switch admit(node) {
                case .success(let lease): leases.append(lease)
                case .failure: await node.keeper.tick()
                }
            }
        }
        return leases
    }

    @Test("Three nodes never run more than the key's 4 concurrent requests together; a freed slot is used again")
    func limitHoldsAcrossNodes() async throws {
        let store = try await sqliteStore()
        let clock = ManualDate(ClusterQuotaTests.start)
        let nodes = nodes(["a", "b", "c"], store: store, clock: clock)
        var leases = await fill(nodes)
        #expect(leases.count == 4)
        guard case .failure(let refused) = admit(nodes[0]) else {
            Issue.record("a fifth request was admitted")
            return
        }
        #expect(refused.status == .tooManyRequests)
        #expect(refused.codeLabel == "concurrency")
        #expect(refused.retryAfter == .seconds(1))
        leases.removeFirst().release()
        leases += await fill(nodes)
        #expect(leases.count == 4, "the freed slot admits one more, somewhere")
        for lease in leases { lease.release() }
        await store.close()
    }

    @Test("Idle slots go back after half the lease time, so another node can have them")
    func idleSlotsReturn() async throws {
        let store = try await sqliteStore()
        let clock = ManualDate(ClusterQuotaTests.start)
        let nodes = nodes(["a", "b"], store: store, clock: clock)
        let leases = await fill([nodes[0]])
        #expect(leases.count == 4, "one node may hold the whole limit while it uses it")
        #expect(await fill([nodes[1]]).isEmpty)
        for lease in leases { lease.release() }
        // Busy until now: the next renewal keeps one slice (1 slot), the one after gives back all but what the
        // cluster has room for.
        for _ in 0..<3 {
            clock.advance(2)
            await nodes[0].keeper.tick()
        }
        #expect((nodes[0].keeper.slots(Self.bucket)?.held ?? 9) <= 1)
        let other = await fill([nodes[1]])
        #expect(other.count >= 3, "the other node gets the slots back")
        for lease in other { lease.release() }
        await store.close()
    }

    @Test("A node that dies loses its slots for one lease time only")
    func deadNodeSlotsLapse() async throws {
        let store = try await sqliteStore()
        let clock = ManualDate(ClusterQuotaTests.start)
        let nodes = nodes(["a", "b"], store: store, clock: clock)
        _ = await fill([nodes[0]])  // a holds all 4 and dies: it never releases or ticks again
        #expect(await fill([nodes[1]]).isEmpty)
        clock.advance(3)
        #expect(await fill([nodes[1]]).isEmpty, "within the lease time the dead node's slots still count")
        clock.advance(2)
        let after = await fill([nodes[1]])
        #expect(after.count == 4, "after the lease time they are reclaimed")
        for lease in after { lease.release() }
        await store.close()
    }

    @Test(
        "Store lost: requests use the held slots until the hold lapses, then follow on_database_loss",
        arguments: [LeaseSettings.OnDatabaseLoss.failClosed, .failOpen])
    func storeLoss(_ loss: LeaseSettings.OnDatabaseLoss) async throws {
        let store = SwitchableStore(try await sqliteStore())
        let clock = ManualDate(ClusterQuotaTests.start)
        let node = nodes(["a"], store: store, clock: clock, loss: loss)[0]
        let leases = await fill([node], rounds: 2)
        #expect(leases.count == 1)
        leases[0].release()
        store.down.withLock { $0 = true }
        guard case .success(let held) = admit(node) else {
            Issue.record("the held slot should admit while the store is lost")
            return
        }
        held.release()
        clock.advance(5)
        await node.keeper.tick()
        #expect(!node.keeper.storeUp)
        switch (admit(node), loss) {
        case (.failure(let error), .failClosed):
            #expect(error.status == .serviceUnavailable)
            #expect(error.codeLabel == "quota_store_unavailable")
        case (.success(let lease), .failOpen):
            lease.release()
        default:
            Issue.record("\(loss) not followed")
        }
        store.down.withLock { $0 = false }
        await node.keeper.tick()
        #expect(node.keeper.storeUp)
        let again = await fill([node], rounds: 3)
        #expect(!again.isEmpty, "slots again once the store is back")
        for lease in again { lease.release() }
        #expect(node.keeper.slots(Self.bucket)?.inUse == 0)
        await store.close()
    }
}
