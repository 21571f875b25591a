import BatchgateTestSupport
import Foundation
import Logging
import Testing

@testable import StateStore

@Suite(
    "PostgreSQL state store", .serialized,
    .enabled(if: TemporaryPostgres.installed || TemporaryPostgres.required, "PostgreSQL 15 is not installed"))
struct PostgresStateStoreTests {
    let logger = Logger(label: "test")

    func settings(_ server: TemporaryPostgres, password: String?) -> PostgresSettings {
        PostgresSettings(
            host: "127.0.0.1", port: server.port, user: server.user, database: server.database, password: password,
            tls: .disable)
    }

    @Test("Migrates, records usage, leases within the limit across two nodes' connections, and keeps members")
    func sharedState() async throws {
        let server = try TemporaryPostgres()
        defer { server.stop() }
        let a = try await StateStoreLocation.postgres(settings(server, password: server.password)).open(logger: logger)
        let b = try await StateStoreLocation.postgres(settings(server, password: server.password)).open(logger: logger)
        #expect(try await SchemaMigrations.currentVersion(a.backend) == SchemaMigrations.latest)

        try await a.insertUsage([usage(key: "k", model: "m", node: "a"), usage(key: "k", model: "m", node: "a")])
        try await b.insertUsage([usage(key: "k", model: "m", prompt: 1, node: "b")])
        let report = try await b.usage(UsageQuery(since: .distantPast, dimensions: [.node]))
        #expect(report.rows.map(\.group) == [["a"], ["b"]])
        #expect(report.rows.map(\.requests) == [2, 1])
        #expect(report.rows.map(\.promptTokens) == [20, 1])

        let window = Date(timeIntervalSince1970: 1_800_000_000)
        let request = LeaseRequest(bucket: "k/m/requests", windowStart: window, limit: 60, amount: 7)
        let grants = try await withThrowingTaskGroup(of: Int.self) { group in
            for store in [a, b] {
                group.addTask {
                    var total = 0
                    for _ in 0..<10 { total += try await store.takeLease(request) }
                    return total
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(grants == 60, "twenty requests of 7 from two connections add up to the limit exactly")

        let now = Date()
        try await a.heartbeat(
            Member(
                node: "a", address: "127.0.0.2:8443", models: ["m"], workers: 1, queueDepth: 2, freeKVBlocks: 64,
                seenAt: now))
        #expect(try await b.members(seenSince: now.addingTimeInterval(-1)).map(\.node) == ["a"])
        await a.close()
        await b.close()
    }

    @Test("A wrong password is a clear error; a newer schema is refused")
    func refusals() async throws {
        let server = try TemporaryPostgres()
        defer { server.stop() }
        await #expect(throws: StateStoreError.self) {
            _ = try await StateStoreLocation.postgres(settings(server, password: "wrong")).open(logger: logger)
        }
        let store = try await StateStoreLocation.postgres(settings(server, password: server.password)).open(
            logger: logger)
        _ = try await store.backend.execute(
            "INSERT INTO batchgate_schema (version, applied_at_ms) VALUES ($1, 0)",
            [.integer(Int64(SchemaMigrations.latest + 1))])
        await store.close()
        do {
            _ = try await StateStoreLocation.postgres(settings(server, password: server.password)).open(logger: logger)
            Issue.record("a newer schema was accepted")
        } catch let error as StateStoreError {
            #expect(error == .schemaTooNew(found: SchemaMigrations.latest + 1, supported: SchemaMigrations.latest))
        }
    }

    @Test("While the server is down statements fail fast as unavailable; after it starts the store reconnects")
    func reconnects() async throws {
        let server = try TemporaryPostgres()
        defer { server.stop() }
        let store = try await StateStoreLocation.postgres(settings(server, password: server.password)).open(
            logger: logger)
        try server.stopServer()
        let started = ContinuousClock.now
        for _ in 0..<5 {
            await #expect(throws: StateStoreError.self) { try await store.insertUsage([usage(key: "k", model: "m")]) }
        }
        #expect(ContinuousClock.now - started < .seconds(10), "no long waits while down")
        try server.start()
        let deadline = ContinuousClock.now + .seconds(15)
        var written = false
        while !written, ContinuousClock.now < deadline {
            do {
                try await store.insertUsage([usage(key: "k", model: "m")])
                written = true
            } catch {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        #expect(written)
        #expect(try await store.usage(UsageQuery(since: .distantPast, dimensions: [])).rows.first?.requests == 1)
        await store.close()
    }
}
