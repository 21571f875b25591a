import Basics
import Foundation
import Logging
import StateStore
import Synchronization

/// Keeps this node's slices of cluster-wide quotas: requests spend from the ledger in memory (no store round trip
/// on a request's path), and a background loop tops slices up, renews the busy ones, gives idle ones back when
/// their lease time ends, and notices when the store is lost or back.
public final class LeaseKeeper: Sendable {
    struct State {
        var ledger = LeaseLedger()
        var slots = SlotLedger()
        var storeUp = true
        var lostSince: Date?
        var lastContact = Date.distantPast
    }

    /// Where slices come from.
    public let store: any StateStore
    /// Lease time, slice size, what to do without the store.
    public let settings: LeaseSettings
    /// This node's name, which its concurrency slots are held under.
    public let node: String
    private let state = Mutex(State())
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let onStoreChange: @Sendable (Bool) -> Void

    /// A keeper leasing from `store`; `now` is the wall clock (windows are shared minutes, so nodes' clocks must
    /// agree to well under a second); `onStoreChange` hears when the store is lost (false) or back (true); `node`
    /// names this node's concurrency slots in the store (unique in the cluster).
    public init(
        store: any StateStore, settings: LeaseSettings, logger: Logger, now: @escaping @Sendable () -> Date = Date.init,
        node: String = ProcessInfo.processInfo.hostName, onStoreChange: @escaping @Sendable (Bool) -> Void = { _ in }
    ) {
        self.store = store
        self.settings = settings
        self.node = node
        self.logger = logger
        self.now = now
        self.onStoreChange = onStoreChange
    }

    /// Whether the store answered the last time it was asked.
    public var storeUp: Bool { state.withLock { $0.storeUp } }

    /// Keeps `bucket`, whose minute limit across the cluster is `limit`.
    func register(_ bucket: String, limit: Int) {
        state.withLock { $0.ledger.register(bucket, limit: limit) }
    }

    /// Spends `amount` units of `bucket` from what this node holds; never waits.
    func spend(_ bucket: String, _ amount: Int, overdraft: Bool = false) -> LeaseLedger.Outcome {
        let now = now()
        return state.withLock { $0.ledger.spend(bucket, amount, now: now, storeUp: $0.storeUp, overdraft: overdraft) }
    }

    /// Puts back units spent by a request refused on another bucket.
    func unspend(_ bucket: String, _ amount: Int) {
        state.withLock { $0.ledger.unspend(bucket, amount) }
    }

    /// Keeps the concurrency slots of `bucket`, whose limit across the cluster is `limit`.
    func registerSlots(_ bucket: String, limit: Int) {
        state.withLock { $0.slots.register(bucket, limit: limit) }
    }

    /// Takes one of this node's held slots of `bucket`; never waits. With `uncounted` (`fail_open` without the
    /// store) the slot is only counted here.
    func takeSlot(_ bucket: String, uncounted: Bool = false) -> SlotLedger.Outcome {
        let now = now()
        return state.withLock { state in
            if uncounted {
                state.slots.takeUncounted(bucket)
                return .taken
            }
            return state.slots.take(bucket, now: now, storeUp: state.storeUp)
        }
    }

    /// Frees a slot of `bucket` that a finished request used (it stays held for the next request).
    func freeSlot(_ bucket: String) {
        state.withLock { $0.slots.free(bucket) }
    }

    /// The slots of `bucket`: the cluster-wide limit, the slots in use here and those held here.
    func slots(_ bucket: String) -> (limit: Int, inUse: Int, held: Int)? {
        state.withLock { state in state.slots.buckets[bucket].map { ($0.limit, $0.inUse, $0.held) } }
    }

    /// What `bucket` holds now, and when its window ends.
    func holding(_ bucket: String) -> (limit: Int, available: Int, windowEnds: Duration)? {
        let now = now()
        return state.withLock { state -> (Int, Int, Duration)? in
            state.ledger.roll(bucket, now: now)
            guard let allowance = state.ledger.allowances[bucket] else { return nil }
            let end = LeaseLedger.start(of: allowance.window + 1).timeIntervalSince(now)
            return (allowance.limit, max(0, allowance.available), .milliseconds(Int64(max(0, end) * 1000)))
        }
    }

    /// One round: renew or give back expired slices, then top up the short ones. Store failures mark it lost.
    public func tick() async {
        let now = now()
        let renewal = now.addingTimeInterval(settings.leaseTime.inSeconds)
        let (returns, topUps) = state.withLock { state -> ([(String, Int64, Int)], [(String, Int, Int64)]) in
            var returns: [(String, Int64, Int)] = []
            if state.storeUp {
                returns = state.ledger.expire(now: now, renewUntil: renewal).map { ($0.bucket, $0.window, $0.units) }
            }
            let buckets = Array(state.ledger.allowances.keys)
            var topUps: [(String, Int, Int64)] = []
            for bucket in buckets {
                state.ledger.roll(bucket, now: now)
                guard let limit = state.ledger.allowances[bucket]?.limit else { continue }
                let amount = state.ledger.topUp(bucket, slice: settings.slice(of: limit), now: now)
                if amount > 0 { topUps.append((bucket, amount, LeaseLedger.window(now))) }
            }
            return (returns, topUps)
        }
        let slotChanges = state.withLock { $0.slots.changes(now: now, slice: settings.slice(of:)) }
        let renewAt = now.addingTimeInterval(settings.leaseTime.inSeconds / 2)
        do {
            for change in slotChanges {
                let holding = try await store.leaseSlots(
                    SlotRequest(
                        bucket: change.bucket, node: node, limit: change.limit, amount: change.amount,
                        expires: renewal, now: now))
                state.withLock {
                    $0.slots.applied(
                        change, holding: (holding.held, holding.clusterHeld), expires: renewal, renewAt: renewAt)
                }
            }
            for (bucket, window, units) in returns {
                try await store.returnLease(bucket: bucket, windowStart: LeaseLedger.start(of: window), amount: units)
            }
            for (bucket, amount, window) in topUps {
                let limit = state.withLock { $0.ledger.allowances[bucket]?.limit ?? 0 }
                let granted = try await store.takeLease(
                    LeaseRequest(
                        bucket: bucket, windowStart: LeaseLedger.start(of: window), limit: limit, amount: amount))
                state.withLock {
                    $0.ledger.granted(bucket, granted, asked: amount, window: window, expires: renewal)
                }
            }
            let probe = state.withLock { !$0.storeUp || now.timeIntervalSince($0.lastContact) >= 1 }
            let asked = !(returns.isEmpty && topUps.isEmpty && slotChanges.isEmpty)
            if !asked && probe {
                // Nothing to ask for: see, at most once a second, whether the store still answers (or is back).
                _ = try await store.members(seenSince: now)
            }
            if asked || probe { state.withLock { $0.lastContact = now } }
            markStore(up: true, at: now)
        } catch {
            markStore(up: false, at: now, error: error)
        }
    }

    /// Ticks every `settings.tick` until cancelled.
    public func run() async {
        while !Task.isCancelled {
            await tick()
            try? await Task.sleep(for: settings.tick)
        }
    }

    private func markStore(up: Bool, at now: Date, error: (any Error)? = nil) {
        let changed = state.withLock { state -> Bool in
            guard state.storeUp != up else { return false }
            state.storeUp = up
            state.lostSince = up ? nil : now
            return true
        }
        guard changed else { return }
        if up {
            logger.notice("quota store reachable again: leases resume")
        } else {
            let reason = error.map { "\($0)" } ?? "-"
            logger.error(
                "quota store lost: serving on current leases for up to \(settings.leaseTime), then \(settings.onDatabaseLoss.rawValue)",
                metadata: ["error": "\(reason)"])
        }
        onStoreChange(up)
    }
}
