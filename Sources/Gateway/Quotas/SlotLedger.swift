import Foundation

/// This node's leased concurrency slots: for each bucket (key, model), the slots the store says this node holds
/// and how many of them requests use now. A request takes a held slot in memory or is refused; `LeaseKeeper`
/// asks the store for more, renews the hold before it lapses, and gives idle slots back. Pure state.
struct SlotLedger {
    /// One bucket's slots.
    struct Slots {
        /// Requests allowed in flight at once across the cluster.
        var limit: Int
        /// Slots the store granted this node (its row in `concurrency_leases`).
        var held = 0
        /// Slots requests on this node use now.
        var inUse = 0
        /// Requests were admitted since the hold was last renewed (an idle hold is given back).
        var busy = false
        /// Slots refused requests wanted: the next round asks for at least this many more.
        var wanted = 0
        /// When the store forgets the hold unless it is renewed (or, without the store, the slots stop counting).
        var expires = Date.distantPast
        /// When the keeper renews the hold: half way through its lease time.
        var renewAt = Date.distantPast
        /// What every node held together at the last answer from the store.
        var clusterHeld = 0
    }

    /// What taking a slot came to.
    enum Outcome: Equatable {
        /// Taken from the held slots.
        case taken
        /// Every held slot is in use; `clusterFull` when the whole cluster's limit was held at the last look.
        case short(clusterFull: Bool)
        /// The hold lapsed and the store is unreachable: `on_database_loss` decides.
        case storeLost
    }

    /// One change to ask the store for.
    struct Change: Equatable {
        var bucket: String
        var limit: Int
        /// Slots to add (more than 0), give back (less than 0), or 0 to renew.
        var amount: Int
    }

    var buckets: [String: Slots] = [:]

    /// Starts keeping `bucket` with `limit` (a changed limit applies from the next change). A new bucket wants a
    /// slot at once, so that the node's first request finds one held ahead.
    mutating func register(_ bucket: String, limit: Int) {
        buckets[bucket, default: Slots(limit: limit, wanted: 1)].limit = limit
    }

    /// Takes a slot of `bucket` if one is free; `storeUp` says whether a lapsed hold can still be renewed.
    mutating func take(_ bucket: String, now: Date, storeUp: Bool) -> Outcome {
        guard var slots = buckets[bucket] else { return .short(clusterFull: false) }
        defer { buckets[bucket] = slots }
        if !storeUp, now >= slots.expires { return .storeLost }
        guard slots.inUse < slots.held else {
            slots.wanted = max(slots.wanted, slots.inUse + 1 - slots.held)
            return .short(clusterFull: slots.clusterHeld >= slots.limit)
        }
        slots.inUse += 1
        slots.busy = true
        return .taken
    }

    /// Takes a slot without counting it against the hold: `fail_open` without the store.
    mutating func takeUncounted(_ bucket: String) {
        buckets[bucket]?.inUse += 1
    }

    /// Frees a slot a finished request used.
    mutating func free(_ bucket: String) {
        guard let slots = buckets[bucket], slots.inUse > 0 else { return }
        buckets[bucket]?.inUse -= 1
    }

    /// The changes to ask for now: more slots when requests were refused, or when a busy node has none free and the
    /// cluster had room;
    /// at half the lease time, a renewal that keeps the slots in use plus a few free ones (a slice when busy,
    /// one when idle and the cluster has room, none when idle and the cluster is full) and gives the rest back.
    func changes(now: Date, slice: (Int) -> Int) -> [Change] {
        buckets.compactMap { bucket, slots in
            let free = slots.held - slots.inUse
            let slice = slice(slots.limit)
            if slots.wanted > 0 || slots.busy && free <= 0 && slots.clusterHeld < slots.limit {
                return Change(bucket: bucket, limit: slots.limit, amount: max(slice, slots.wanted - free))
            }
            guard now >= slots.renewAt, slots.held > 0 || slots.inUse > 0 else { return nil }
            let spare = slots.busy ? min(free, slice) : slots.clusterHeld < slots.limit ? min(free, 1) : 0
            return Change(bucket: bucket, limit: slots.limit, amount: min(0, slots.inUse + max(0, spare) - slots.held))
        }
    }

    /// Records the store's answer to a change, valid until `expires` and renewed from `renewAt`.
    mutating func applied(_ change: Change, holding: (held: Int, clusterHeld: Int), expires: Date, renewAt: Date) {
        guard var slots = buckets[change.bucket] else { return }
        slots.held = holding.held
        slots.clusterHeld = holding.clusterHeld
        slots.wanted = 0
        slots.expires = expires
        slots.renewAt = renewAt
        if change.amount <= 0 { slots.busy = false }
        buckets[change.bucket] = slots
    }
}
