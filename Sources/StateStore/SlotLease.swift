import Foundation

/// A node's change to its hold on a concurrency quota's slots: ask for more, give some back, or renew (`amount`
/// 0). Every change also renews the node's hold until `expires`, and first reclaims the holds that expired before
/// `now` (a node that died loses its slots after one lease time; one that failed to renew in time, its own).
public struct SlotRequest: Sendable, Equatable {
    /// The quota: key, model and kind, e.g. `team-a/llama/concurrency`.
    public var bucket: String
    /// The node asking.
    public var node: String
    /// Slots allowed in use at once across the cluster.
    public var limit: Int
    /// More than 0: slots wanted in addition; less than 0: slots given back; 0: renew only.
    public var amount: Int
    /// When this node's hold lapses unless renewed.
    public var expires: Date
    /// The node's clock now: holds that expired before it are reclaimed.
    public var now: Date

    /// Creates a request.
    public init(bucket: String, node: String, limit: Int, amount: Int, expires: Date, now: Date) {
        self.bucket = bucket
        self.node = node
        self.limit = limit
        self.amount = amount
        self.expires = expires
        self.now = now
    }
}

/// What a node holds of a concurrency quota after a `SlotRequest`, and what all nodes hold together.
public struct SlotHolding: Sendable, Equatable {
    /// This node's slots.
    public var held: Int
    /// Every live node's slots together (at most the limit).
    public var clusterHeld: Int

    /// Creates a holding.
    public init(held: Int, clusterHeld: Int) {
        self.held = held
        self.clusterHeld = clusterHeld
    }
}

extension SQLStateStore {
    /// The row of `concurrency_leases` that keeps a bucket's total over all nodes (no node is named "").
    static let totalRow = ""

    /// Applies `request` to this node's hold. PostgreSQL does each step in one statement, so concurrent nodes
    /// never hold more than the limit together; SQLite (one node) runs the same steps one statement at a time.
    public func leaseSlots(_ request: SlotRequest) async throws -> SlotHolding {
        let bucket = SQLValue.text(request.bucket)
        let node = SQLValue.text(request.node)
        let expires = SQLValue.integer(request.expires.millisecondsSince1970)
        _ = try await backend.execute(
            """
            INSERT INTO concurrency_leases (bucket, node, slots, expires_at_ms, last_grant)
            VALUES ($1, '', 0, 0, 0) ON CONFLICT (bucket, node) DO NOTHING
            """, [bucket])
        try await reclaimExpired(bucket, now: request.now)
        if request.amount > 0 {
            return try await grantSlots(
                bucket, node, limit: .integer(Int64(request.limit)), amount: .integer(Int64(request.amount)),
                expires: expires)
        }
        return try await giveBackSlots(bucket, node, amount: .integer(Int64(-request.amount)), expires: expires)
    }

    /// Deletes the holds that expired, taking their slots off the bucket's total.
    private func reclaimExpired(_ bucket: SQLValue, now: Date) async throws {
        let now = SQLValue.integer(now.millisecondsSince1970)
        if backend.dialect == .postgres {
            // A row two nodes try to delete at once is deleted (and counted) by one of them only.
            _ = try await backend.execute(
                """
                WITH gone AS (
                    DELETE FROM concurrency_leases WHERE bucket = $1 AND node <> '' AND expires_at_ms < $2
                    RETURNING slots)
                UPDATE concurrency_leases SET slots = slots - (SELECT COALESCE(SUM(slots), 0) FROM gone)
                WHERE bucket = $1 AND node = '' AND EXISTS (SELECT 1 FROM gone)
                """, [bucket, now])
            return
        }
        let rows = try await backend.execute(
            """
            SELECT CAST(COALESCE(SUM(slots), 0) AS BIGINT) FROM concurrency_leases
            WHERE bucket = $1 AND node <> '' AND expires_at_ms < $2
            """, [bucket, now])
        let gone = rows.first?.first?.integer ?? 0
        guard gone > 0 else { return }
        _ = try await backend.execute(
            "DELETE FROM concurrency_leases WHERE bucket = $1 AND node <> '' AND expires_at_ms < $2", [bucket, now])
        _ = try await backend.execute(
            """
            UPDATE concurrency_leases SET slots = CASE WHEN slots < $2 THEN 0 ELSE slots - $2 END
            WHERE bucket = $1 AND node = ''
            """, [bucket, .integer(gone)])
    }

    /// Grants `min(amount, limit - total)` and adds it to the node's hold.
    private func grantSlots(_ bucket: SQLValue, _ node: SQLValue, limit: SQLValue, amount: SQLValue, expires: SQLValue)
        async throws -> SlotHolding
    {
        let grant = """
            UPDATE concurrency_leases SET
                last_grant = CASE WHEN $3 - slots < $4 THEN $3 - slots ELSE $4 END,
                slots = slots + CASE WHEN $3 - slots < $4 THEN $3 - slots ELSE $4 END
            WHERE bucket = $1 AND node = '' AND slots < $3
            RETURNING last_grant, slots
            """
        let upsert = """
            INSERT INTO concurrency_leases (bucket, node, slots, expires_at_ms, last_grant)
            VALUES ($1, $2, GRANTED, $5, 0)
            ON CONFLICT (bucket, node) DO UPDATE SET slots = concurrency_leases.slots + excluded.slots,
                expires_at_ms = excluded.expires_at_ms
            RETURNING slots
            """
        if backend.dialect == .postgres {
            // One statement: the total and the node's row change together or not at all.
            let rows = try await backend.execute(
                """
                WITH g AS (\(grant)),
                mine AS (\(upsert.replacingOccurrences(of: "GRANTED", with: "COALESCE((SELECT last_grant FROM g), 0)")))
                SELECT (SELECT slots FROM mine),
                    COALESCE((SELECT slots FROM g),
                        (SELECT slots FROM concurrency_leases WHERE bucket = $1 AND node = ''))
                """, [bucket, node, limit, amount, expires])
            return Self.holding(rows)
        }
        let granted = try await backend.execute(grant, [bucket, node, limit, amount])
        let rows = try await backend.execute(
            upsert.replacingOccurrences(of: "GRANTED", with: "$3").replacingOccurrences(of: "$5", with: "$4"),
            [bucket, node, .integer(granted.first?.first?.integer ?? 0), expires])
        return SlotHolding(held: Int(rows.first?.first?.integer ?? 0), clusterHeld: try await total(bucket))
    }

    /// Takes `amount` off the node's hold (never below 0) and off the total, and renews what is left.
    private func giveBackSlots(_ bucket: SQLValue, _ node: SQLValue, amount: SQLValue, expires: SQLValue)
        async throws -> SlotHolding
    {
        let mine = """
            UPDATE concurrency_leases SET slots = CASE WHEN slots < $3 THEN 0 ELSE slots - $3 END, expires_at_ms = $4
            WHERE bucket = $1 AND node = $2 RETURNING slots
            """
        if backend.dialect == .postgres {
            // Only the node itself changes its row (others may delete it once expired), so the snapshot's value
            // is the value the update starts from.
            let rows = try await backend.execute(
                """
                WITH old AS (SELECT slots FROM concurrency_leases WHERE bucket = $1 AND node = $2),
                mine AS (\(mine)),
                total AS (
                    UPDATE concurrency_leases
                    SET slots = slots - ((SELECT slots FROM old) - (SELECT slots FROM mine))
                    WHERE bucket = $1 AND node = '' AND EXISTS (SELECT 1 FROM mine) RETURNING slots)
                SELECT COALESCE((SELECT slots FROM mine), 0),
                    COALESCE((SELECT slots FROM total),
                        (SELECT slots FROM concurrency_leases WHERE bucket = $1 AND node = ''))
                """, [bucket, node, amount, expires])
            return Self.holding(rows)
        }
        let old = try await backend.execute(
            "SELECT slots FROM concurrency_leases WHERE bucket = $1 AND node = $2", [bucket, node])
        guard let before = old.first?.first?.integer else {
            return SlotHolding(held: 0, clusterHeld: try await total(bucket))
        }
        let after = try await backend.execute(mine, [bucket, node, amount, expires]).first?.first?.integer ?? 0
        _ = try await backend.execute(
            "UPDATE concurrency_leases SET slots = slots - $2 WHERE bucket = $1 AND node = ''",
            [bucket, .integer(before - after)])
        return SlotHolding(held: Int(after), clusterHeld: try await total(bucket))
    }

    private func total(_ bucket: SQLValue) async throws -> Int {
        let rows = try await backend.execute(
            "SELECT slots FROM concurrency_leases WHERE bucket = $1 AND node = ''", [bucket])
        return Int(rows.first?.first?.integer ?? 0)
    }

    private static func holding(_ rows: [[SQLValue]]) -> SlotHolding {
        let row = rows.first ?? []
        return SlotHolding(
            held: Int(row.first?.integer ?? 0), clusterHeld: Int(row.dropFirst().first?.integer ?? 0))
    }
}
