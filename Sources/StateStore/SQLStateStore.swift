import Foundation

/// The state store over an SQL backend (SQLite or PostgreSQL); every statement is one round trip, and none is
/// on a request's path (usage is written in batches, leases are taken ahead of need).
public struct SQLStateStore: StateStore {
    /// The connection.
    public let backend: any SQLBackend
    /// Most rows in one `INSERT` (SQLite allows 32766 parameters; ten a row).
    static let rowsPerInsert = 500

    /// Opens the store on `backend`, applying the schema's migrations (or refusing a newer schema).
    public static func open(_ backend: any SQLBackend) async throws -> SQLStateStore {
        do {
            try await SchemaMigrations.migrate(backend)
        } catch {
            await backend.close()
            throw error
        }
        return SQLStateStore(backend: backend)
    }

    private init(backend: any SQLBackend) {
        self.backend = backend
    }

    /// Writes the records in as few statements as the parameter limit allows.
    public func insertUsage(_ records: [UsageRecord]) async throws {
        var start = 0
        while start < records.count {
            let chunk = records[start..<min(start + Self.rowsPerInsert, records.count)]
            var binds: [SQLValue] = []
            var rows: [String] = []
            for record in chunk {
                let base = binds.count
                rows.append("(" + (1...10).map { "$\(base + $0)" }.joined(separator: ",") + ")")
                binds += [
                    .text(record.requestID), .text(record.key), .text(record.model),
                    .integer(Int64(record.promptTokens)), .integer(Int64(record.cachedTokens)),
                    .integer(Int64(record.completionTokens)), .integer(Int64(record.status)),
                    .integer(Int64((record.duration / .milliseconds(1)).rounded())), .text(record.node),
                    .integer(record.finishedAt.millisecondsSince1970),
                ]
            }
            _ = try await backend.execute(
                """
                INSERT INTO usage_records (request_id, key_name, model, prompt_tokens, cached_tokens,
                    completion_tokens, status, duration_ms, node, finished_at_ms) VALUES
                """ + rows.joined(separator: ","), binds)
            start += chunk.count
        }
    }

    /// Sums the records since `query.since` by its dimensions.
    public func usage(_ query: UsageQuery) async throws -> UsageReport {
        let columns = query.dimensions.map(\.column)
        let groupBy = columns.isEmpty ? "" : " GROUP BY " + columns.joined(separator: ", ")
        let orderBy = columns.isEmpty ? "" : " ORDER BY " + columns.joined(separator: ", ")
        let select =
            columns.map { "CAST(\($0) AS TEXT)" } + [
                "CAST(COUNT(*) AS BIGINT)", "CAST(COALESCE(SUM(prompt_tokens), 0) AS BIGINT)",
                "CAST(COALESCE(SUM(cached_tokens), 0) AS BIGINT)",
                "CAST(COALESCE(SUM(completion_tokens), 0) AS BIGINT)",
                "CAST(COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0) AS BIGINT)",
            ]
        let rows = try await backend.execute(
            "SELECT " + select.joined(separator: ", ") + " FROM usage_records WHERE finished_at_ms >= $1" + groupBy
                + orderBy, [.integer(query.since.millisecondsSince1970)])
        let groups = columns.count
        let report = rows.compactMap { row -> UsageReport.Row? in
            let sums = row[groups...].map { Int($0.integer ?? 0) }
            // With no grouping an empty table still sums to one row of zeros: no usage, no row.
            if groups == 0, sums[0] == 0 { return nil }
            return UsageReport.Row(
                group: row[..<groups].map { $0.text ?? "" }, requests: sums[0], promptTokens: sums[1],
                cachedTokens: sums[2], completionTokens: sums[3], errors: sums[4])
        }
        return UsageReport(query: query, rows: report)
    }

    /// Grants `min(amount, limit - granted)` of the window in one statement, so concurrent nodes never overdraw.
    public func takeLease(_ request: LeaseRequest) async throws -> Int {
        let window = request.windowStart.millisecondsSince1970
        _ = try await backend.execute(
            """
            INSERT INTO quota_windows (bucket, window_start_ms, quota_limit, granted, last_grant)
            VALUES ($1, $2, $3, 0, 0) ON CONFLICT (bucket, window_start_ms) DO NOTHING
            """, [.text(request.bucket), .integer(window), .integer(Int64(request.limit))])
        let rows = try await backend.execute(
            """
            UPDATE quota_windows SET
                last_grant = CASE WHEN $3 - granted < $4 THEN $3 - granted ELSE $4 END,
                granted = granted + CASE WHEN $3 - granted < $4 THEN $3 - granted ELSE $4 END,
                quota_limit = $3
            WHERE bucket = $1 AND window_start_ms = $2 AND granted < $3
            RETURNING last_grant
            """,
            [.text(request.bucket), .integer(window), .integer(Int64(request.limit)), .integer(Int64(request.amount))])
        return Int(rows.first?.first?.integer ?? 0)
    }

    /// Gives back unused units (never below zero).
    public func returnLease(bucket: String, windowStart: Date, amount: Int) async throws {
        guard amount > 0 else { return }
        _ = try await backend.execute(
            """
            UPDATE quota_windows SET granted = CASE WHEN granted < $3 THEN 0 ELSE granted - $3 END
            WHERE bucket = $1 AND window_start_ms = $2
            """, [.text(bucket), .integer(windowStart.millisecondsSince1970), .integer(Int64(amount))])
    }

    /// Upserts the node's row.
    public func heartbeat(_ member: Member) async throws {
        _ = try await backend.execute(
            """
            INSERT INTO members (node, address, models, workers, queue_depth, free_kv_blocks, seen_at_ms)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (node) DO UPDATE SET address = excluded.address, models = excluded.models,
                workers = excluded.workers, queue_depth = excluded.queue_depth,
                free_kv_blocks = excluded.free_kv_blocks, seen_at_ms = excluded.seen_at_ms
            """,
            [
                .text(member.node), .text(member.address), .text(member.models.joined(separator: "\n")),
                .integer(Int64(member.workers)), .integer(Int64(member.queueDepth)),
                .integer(Int64(member.freeKVBlocks)), .integer(member.seenAt.millisecondsSince1970),
            ])
    }

    /// The live nodes, by name.
    public func members(seenSince: Date) async throws -> [Member] {
        let rows = try await backend.execute(
            """
            SELECT node, address, models, workers, queue_depth, free_kv_blocks, seen_at_ms FROM members
            WHERE seen_at_ms >= $1 ORDER BY node
            """, [.integer(seenSince.millisecondsSince1970)])
        return rows.map { row in
            Member(
                node: row[0].text ?? "", address: row[1].text ?? "",
                models: (row[2].text ?? "").split(separator: "\n").map(String.init),
                workers: Int(row[3].integer ?? 0), queueDepth: Int(row[4].integer ?? 0),
                freeKVBlocks: Int(row[5].integer ?? 0),
                seenAt: Date(millisecondsSince1970: row[6].integer ?? 0))
        }
    }

    /// Closes the connection.
    public func close() async { await backend.close() }
}
