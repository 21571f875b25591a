import Foundation

/// The state store's schema, as numbered steps applied in order at start. A step is never edited once released;
/// a change is a new step. The version applied last is kept in `batchgate_schema`.
public enum SchemaMigrations {
    /// One step: its statements for each dialect.
    struct Step {
        var version: Int
        var sqlite: [String]
        var postgres: [String]
        func statements(_ dialect: SQLDialect) -> [String] { dialect == .sqlite ? sqlite : postgres }
    }

    /// The tables shared by both dialects (BIGINT and TEXT mean the same in each).
    static let commonTables = [
        """
        CREATE TABLE usage_records (
            request_id TEXT NOT NULL, key_name TEXT NOT NULL, model TEXT NOT NULL,
            prompt_tokens BIGINT NOT NULL, cached_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT NULL,
            status BIGINT NOT NULL, duration_ms BIGINT NOT NULL, node TEXT NOT NULL, finished_at_ms BIGINT NOT NULL)
        """,
        "CREATE INDEX usage_records_finished ON usage_records (finished_at_ms)",
        """
        CREATE TABLE quota_windows (
            bucket TEXT NOT NULL, window_start_ms BIGINT NOT NULL, quota_limit BIGINT NOT NULL,
            granted BIGINT NOT NULL, last_grant BIGINT NOT NULL, PRIMARY KEY (bucket, window_start_ms))
        """,
        """
        CREATE TABLE members (
            node TEXT PRIMARY KEY, address TEXT NOT NULL, models TEXT NOT NULL, workers BIGINT NOT NULL,
            queue_depth BIGINT NOT NULL, free_kv_blocks BIGINT NOT NULL, seen_at_ms BIGINT NOT NULL)
        """,
    ]

    /// Version 2: concurrency slots held per node (one row per bucket and node, until `expires_at_ms`), and one
    /// row per bucket with node "" keeping the total over all nodes.
    static let concurrencyTables = [
        """
        CREATE TABLE concurrency_leases (
            bucket TEXT NOT NULL, node TEXT NOT NULL, slots BIGINT NOT NULL, expires_at_ms BIGINT NOT NULL,
            last_grant BIGINT NOT NULL, PRIMARY KEY (bucket, node))
        """
    ]

    /// Every step, oldest first.
    static let steps = [
        Step(version: 1, sqlite: commonTables, postgres: commonTables),
        Step(version: 2, sqlite: concurrencyTables, postgres: concurrencyTables),
    ]

    /// The newest version this build knows.
    public static var latest: Int { steps.last?.version ?? 0 }

    /// Brings `backend` to the latest version, or refuses a newer one; returns the version it found.
    @discardableResult
    public static func migrate(_ backend: any SQLBackend) async throws -> Int {
        try await backend.withSchemaLock {
            _ = try await backend.execute(
                "CREATE TABLE IF NOT EXISTS batchgate_schema (version BIGINT NOT NULL, applied_at_ms BIGINT NOT NULL)",
                [])
            let found = try await currentVersion(backend)
            guard found <= latest else { throw StateStoreError.schemaTooNew(found: found, supported: latest) }
            for step in steps where step.version > found {
                _ = try await backend.execute("BEGIN", [])
                do {
                    for statement in step.statements(backend.dialect) { _ = try await backend.execute(statement, []) }
                    _ = try await backend.execute(
                        "INSERT INTO batchgate_schema (version, applied_at_ms) VALUES ($1, $2)",
                        [.integer(Int64(step.version)), .integer(Date().millisecondsSince1970)])
                    _ = try await backend.execute("COMMIT", [])
                } catch {
                    _ = try? await backend.execute("ROLLBACK", [])
                    throw error
                }
            }
            return found
        }
    }

    /// The version the database is at (0 when new).
    public static func currentVersion(_ backend: any SQLBackend) async throws -> Int {
        let rows = try await backend.execute("SELECT CAST(MAX(version) AS BIGINT) FROM batchgate_schema", [])
        return Int(rows.first?.first?.integer ?? 0)
    }
}

extension Date {
    /// Whole milliseconds since 1970, as the tables keep time.
    public var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    /// The date `milliseconds` after 1970.
    public init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
