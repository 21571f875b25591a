import Foundation
import Logging
import Testing

@testable import StateStore

/// A fresh SQLite file in a temporary directory, removed afterwards.
func withTemporarySQLite<T>(_ body: (String) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.path + "/batchgate-state-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await body(directory + "/data/" + StateStoreLocation.sqliteFileName)
}

/// A usage record with the fields a test varies.
func usage(
    key: String, model: String, prompt: Int = 10, cached: Int = 0, completion: Int = 5, status: Int = 200,
    node: String = "a", at date: Date = Date()
) -> UsageRecord {
    UsageRecord(
        requestID: UUID().uuidString, key: key, model: model, promptTokens: prompt, cachedTokens: cached,
        completionTokens: completion, status: status, duration: .milliseconds(120), node: node, finishedAt: date)
}

@Suite("SQLite state store")
struct SQLiteStateStoreTests {
    let logger = Logger(label: "test")

    @Test("A new file is created with its directory and migrated to the latest schema; reopening keeps the rows")
    func createsMigratesAndPersists() async throws {
        try await withTemporarySQLite { path in
            let store = try await StateStoreLocation.sqlite(path: path).open(logger: logger)
            #expect(FileManager.default.fileExists(atPath: path))
            #expect(try await SchemaMigrations.currentVersion(store.backend) == SchemaMigrations.latest)
            try await store.insertUsage([usage(key: "team-a", model: "m1"), usage(key: "team-b", model: "m1")])
            await store.close()

            let again = try await StateStoreLocation.sqlite(path: path).open(logger: logger)
            let report = try await again.usage(UsageQuery(since: .distantPast, dimensions: []))
            #expect(report.rows.map(\.requests) == [2])
            let versions = try await again.backend.execute("SELECT version FROM batchgate_schema", [])
            #expect(versions.count == SchemaMigrations.latest, "each step is applied once")
            await again.close()
        }
    }

    @Test("A schema newer than this build is refused with a message naming both versions")
    func refusesNewerSchema() async throws {
        try await withTemporarySQLite { path in
            let store = try await StateStoreLocation.sqlite(path: path).open(logger: logger)
            let newer = SchemaMigrations.latest + 1
            _ = try await store.backend.execute(
                "INSERT INTO batchgate_schema (version, applied_at_ms) VALUES ($1, 0)", [.integer(Int64(newer))])
            await store.close()
            do {
                _ = try await StateStoreLocation.sqlite(path: path).open(logger: logger)
                Issue.record("a newer schema was accepted")
            } catch let error as StateStoreError {
                #expect(error == .schemaTooNew(found: newer, supported: SchemaMigrations.latest))
                #expect("\(error)".contains("version \(newer)"))
            }
        }
    }

    @Test("Usage sums by key and model, from a start time, with errors counted")
    func groupsUsage() async throws {
        try await withTemporarySQLite { path in
            let store = try await StateStoreLocation.sqlite(path: path).open(logger: logger)
            let now = Date()
            try await store.insertUsage([
                usage(key: "a", model: "m1", prompt: 10, cached: 4, completion: 3),
                usage(key: "a", model: "m1", prompt: 20, completion: 7, status: 500),
                usage(key: "a", model: "m2", prompt: 1, completion: 1),
                usage(key: "b", model: "m1", prompt: 5, completion: 5),
                usage(key: "a", model: "m1", prompt: 99, at: now.addingTimeInterval(-7200)),
            ])
            let report = try await store.usage(
                UsageQuery(since: now.addingTimeInterval(-3600), dimensions: [.key, .model]))
            #expect(
                report.rows == [
                    .init(
                        group: ["a", "m1"], requests: 2, promptTokens: 30, cachedTokens: 4, completionTokens: 10,
                        errors: 1),
                    .init(
                        group: ["a", "m2"], requests: 1, promptTokens: 1, cachedTokens: 0, completionTokens: 1,
                        errors: 0),
                    .init(
                        group: ["b", "m1"], requests: 1, promptTokens: 5, cachedTokens: 0, completionTokens: 5,
                        errors: 0),
                ])
            let byStatus = try await store.usage(UsageQuery(since: .distantPast, dimensions: [.status]))
            #expect(byStatus.rows.map(\.group) == [["200"], ["500"]])
            #expect(byStatus.rows.map(\.requests) == [4, 1])
            let empty = try await store.usage(UsageQuery(since: now.addingTimeInterval(60), dimensions: []))
            #expect(empty.rows.isEmpty)
            await store.close()
        }
    }

    @Test("More records than one INSERT holds are all written")
    func insertsInChunks() async throws {
        try await withTemporarySQLite { path in
            let store = try await StateStoreLocation.sqlite(path: path).open(logger: logger)
            let count = SQLStateStore.rowsPerInsert * 2 + 7
            try await store.insertUsage((0..<count).map { _ in usage(key: "a", model: "m") })
            let report = try await store.usage(UsageQuery(since: .distantPast, dimensions: []))
            #expect(report.rows.first?.requests == count)
            await store.close()
        }
    }

    @Test("Leases never grant more than a window's limit, and returned units are granted again")
    func leasesStayWithinLimit() async throws {
        try await withTemporarySQLite { path in
            let store = try await StateStoreLocation.sqlite(path: path).open(logger: logger)
            let window = Date(timeIntervalSince1970: 1_800_000_000)
            let request = LeaseRequest(bucket: "k/m/requests", windowStart: window, limit: 60, amount: 25)
            var grants: [Int] = []
            for _ in 0..<4 { grants.append(try await store.takeLease(request)) }
            #expect(grants == [25, 25, 10, 0])
            try await store.returnLease(bucket: request.bucket, windowStart: window, amount: 6)
            #expect(try await store.takeLease(request) == 6)
            var next = request
            next.windowStart = window.addingTimeInterval(60)
            #expect(try await store.takeLease(next) == 25, "a new window starts with the whole budget")
            await store.close()
        }
    }

    @Test("Heartbeats upsert one row a node; stale nodes are left out")
    func membership() async throws {
        try await withTemporarySQLite { path in
            let store = try await StateStoreLocation.sqlite(path: path).open(logger: logger)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            var a = Member(
                node: "a", address: "127.0.0.2:8443", models: ["m1", "m2"], workers: 2, queueDepth: 3,
                freeKVBlocks: 100, seenAt: now)
            try await store.heartbeat(a)
            a.queueDepth = 7
            a.seenAt = now.addingTimeInterval(5)
            try await store.heartbeat(a)
            try await store.heartbeat(
                Member(
                    node: "b", address: "127.0.0.3:8443", models: ["m3"], workers: 1, queueDepth: 0, freeKVBlocks: 9,
                    seenAt: now.addingTimeInterval(-30)))
            let live = try await store.members(seenSince: now)
            #expect(live == [a])
            #expect(try await store.members(seenSince: .distantPast).map(\.node) == ["a", "b"])
            await store.close()
        }
    }

    @Test("$N parameters become SQLite's ?N, whatever their order")
    func numberedParameters() {
        #expect(SQLiteBackend.numberedParameters("SELECT $2, $1, $12") == "SELECT ?2, ?1, ?12")
        #expect(SQLiteBackend.numberedParameters("SELECT '$'") == "SELECT '$'")
    }
}
