import BatchgateTestSupport
import Foundation
import Logging
import Testing

@testable import StateStore

/// Concurrency slots held per node: never more than the limit together, given back, and reclaimed once a node's
/// hold lapses.
@Suite("Concurrency slot leases", .serialized)
struct SlotLeaseTests {
    let logger = Logger(label: "test")
    static let now = Date(timeIntervalSince1970: 1_800_000_010)

    func request(_ node: String, _ amount: Int, expiresIn: TimeInterval = 10, at now: Date = now) -> SlotRequest {
        SlotRequest(
            bucket: "k/m/concurrency", node: node, limit: 5, amount: amount,
            expires: now.addingTimeInterval(expiresIn), now: now)
    }

    /// The steps every backend must agree on.
    func exercise(_ store: SQLStateStore) async throws {
        #expect(try await store.leaseSlots(request("a", 3)) == SlotHolding(held: 3, clusterHeld: 3))
        #expect(try await store.leaseSlots(request("b", 4)) == SlotHolding(held: 2, clusterHeld: 5), "only 2 left")
        #expect(try await store.leaseSlots(request("c", 1)) == SlotHolding(held: 0, clusterHeld: 5), "none left")
        #expect(try await store.leaseSlots(request("a", -2)) == SlotHolding(held: 1, clusterHeld: 3), "2 given back")
        #expect(try await store.leaseSlots(request("c", 1)) == SlotHolding(held: 1, clusterHeld: 4))
        #expect(try await store.leaseSlots(request("a", -5)) == SlotHolding(held: 0, clusterHeld: 3), "never below 0")
        // a and c renew at 6 s; b stops renewing (it died): at 11 s its hold lapsed and the next change reclaims it.
        let renewal = Self.now.addingTimeInterval(6)
        #expect(try await store.leaseSlots(request("a", 0, at: renewal)) == SlotHolding(held: 0, clusterHeld: 3))
        #expect(try await store.leaseSlots(request("c", 0, at: renewal)) == SlotHolding(held: 1, clusterHeld: 3))
        let later = Self.now.addingTimeInterval(11)
        #expect(try await store.leaseSlots(request("c", 0, at: later)) == SlotHolding(held: 1, clusterHeld: 1))
        #expect(try await store.leaseSlots(request("a", 4, at: later)) == SlotHolding(held: 4, clusterHeld: 5))
        #expect(
            try await store.leaseSlots(request("b", 0, at: later)) == SlotHolding(held: 0, clusterHeld: 5),
            "b's renewal after it lapsed finds no hold")
    }

    @Test("SQLite: grants up to the limit, gives back, reclaims lapsed holds")
    func sqlite() async throws {
        let store = try await SQLStateStore.open(try await SQLiteBackend(memoryLogger: logger))
        try await exercise(store)
        await store.close()
    }

    @Test(
        "PostgreSQL: the same, and three connections asking at once never hold more than the limit together",
        .enabled(if: TemporaryPostgres.installed || TemporaryPostgres.required, "PostgreSQL 15 is not installed"))
    func postgres() async throws {
        let server = try TemporaryPostgres()
        defer { server.stop() }
        func open() async throws -> SQLStateStore {
            try await StateStoreLocation.postgres(
                PostgresSettings(
                    host: "127.0.0.1", port: server.port, user: server.user, database: server.database,
                    password: server.password, tls: .disable)
            ).open(logger: logger)
        }
        let stores = [try await open(), try await open(), try await open()]
        try await exercise(stores[0])

        let nodes = ["x", "y", "z"]
        let held = try await withThrowingTaskGroup(of: Int.self) { group in
            for (store, node) in zip(stores, nodes) {
                group.addTask {
                    var last = SlotHolding(held: 0, clusterHeld: 0)
                    for round in 0..<20 {
                        let request = SlotRequest(
                            bucket: "k/m/race", node: node, limit: 7, amount: round % 3 == 2 ? -1 : 2,
                            expires: Self.now.addingTimeInterval(60), now: Self.now)
                        last = try await store.leaseSlots(request)
                        #expect(last.clusterHeld <= 7)
                    }
                    return last.held
                }
            }
            return try await group.reduce(0, +)
        }
        let total = try await stores[0].backend.execute(
            "SELECT slots FROM concurrency_leases WHERE bucket = 'k/m/race' AND node = ''", [])
        let rows = try await stores[0].backend.execute(
            "SELECT CAST(SUM(slots) AS BIGINT) FROM concurrency_leases WHERE bucket = 'k/m/race' AND node <> ''", [])
        #expect(held <= 7)
        #expect(total.first?.first?.integer == rows.first?.first?.integer, "the total is the sum of the nodes' rows")
        #expect(Int(total.first?.first?.integer ?? -1) == held)
        for store in stores { await store.close() }
    }
}
