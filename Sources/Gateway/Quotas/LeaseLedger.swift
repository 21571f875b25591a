import Foundation

/// This node's leased allowances: for each bucket (key, model, kind), the units of the current minute window it
/// holds and may spend without asking the store. Pure state; `LeaseKeeper` drives it from the store.
struct LeaseLedger {
    /// One bucket's allowance.
    struct Allowance {
        /// The window's whole limit across the cluster.
        var limit: Int
        /// The window (minutes since 1970) the units belong to.
        var window: Int64 = 0
        /// Units held and not spent; negative after an overdraft (generated tokens are charged after the fact).
        var available = 0
        /// Units spent in this window on this node.
        var spent = 0
        /// Whether units were spent since the allowance was granted or renewed (an idle one is given back).
        var busy = false
        /// When the held units must be given back (or, without the store, stop being spent).
        var expires = Date.distantPast
        /// The store granted all of the window: asking again before the next window is pointless.
        var exhausted = false
        /// Units a refused request wanted: the next top-up asks for at least this.
        var wanted = 0
        /// The slice went back unused (but one unit): no new one until a request spends that unit or wants more.
        var dormant = false
    }

    /// What spending came to.
    enum Outcome: Equatable {
        /// Spent from the allowance.
        case spent
        /// Not enough held; the window is spent cluster-wide when `exhausted`.
        case short(exhausted: Bool)
        /// The allowance expired and the store is unreachable: `on_database_loss` decides.
        case storeLost
    }

    var allowances: [String: Allowance] = [:]

    /// The window (minutes since 1970) that `date` falls in.
    static func window(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / 60).rounded(.down)) }
    /// The start of `window`.
    static func start(of window: Int64) -> Date { Date(timeIntervalSince1970: Double(window) * 60) }

    /// Starts keeping `bucket` with `limit` (a changed limit applies from now).
    mutating func register(_ bucket: String, limit: Int) {
        allowances[bucket, default: Allowance(limit: limit)].limit = limit
    }

    /// Moves `bucket` to `now`'s window when a new one began: last window's units are void.
    mutating func roll(_ bucket: String, now: Date) {
        let window = Self.window(now)
        guard var allowance = allowances[bucket], allowance.window != window else { return }
        // Not dormant: every window starts with a slice leased ahead, so its first request needs no wait.
        allowance = Allowance(limit: allowance.limit, window: window)
        allowances[bucket] = allowance
    }

    /// Spends `amount` units of `bucket` if held; `storeUp` says whether an expired allowance can still be renewed.
    /// With `overdraft` the units are spent even when short (generated tokens), unless the window is exhausted.
    mutating func spend(_ bucket: String, _ amount: Int, now: Date, storeUp: Bool, overdraft: Bool = false) -> Outcome {
        roll(bucket, now: now)
        guard var allowance = allowances[bucket] else { return .short(exhausted: false) }
        defer { allowances[bucket] = allowance }
        if !storeUp, now >= allowance.expires { return .storeLost }
        if allowance.available >= amount || overdraft && !allowance.exhausted {
            allowance.available -= amount
            allowance.spent += amount
            allowance.busy = true
            allowance.dormant = false
            return .spent
        }
        allowance.wanted = max(allowance.wanted, amount - allowance.available)
        return .short(exhausted: allowance.exhausted)
    }

    /// Puts back units spent by a request that was refused on another bucket.
    mutating func unspend(_ bucket: String, _ amount: Int) {
        allowances[bucket]?.available += amount
        allowances[bucket]?.spent -= amount
    }

    /// What `bucket` should ask the store for now (0: nothing): a slice when it holds less than half a slice,
    /// more when a refused request wanted more, or enough to cover an overdraft; nothing while it is dormant
    /// (its last slice went back unused) until a request wants some.
    func topUp(_ bucket: String, slice: Int, now: Date) -> Int {
        guard let allowance = allowances[bucket], !allowance.exhausted, allowance.window == Self.window(now) else {
            return 0
        }
        if allowance.dormant && allowance.wanted == 0 { return 0 }
        guard allowance.available * 2 < slice || allowance.wanted > allowance.available else { return 0 }
        return max(slice - allowance.available, allowance.wanted - allowance.available, slice)
    }

    /// Adds `granted` units of a top-up that asked for `asked`, valid until `expires`.
    mutating func granted(_ bucket: String, _ granted: Int, asked: Int, window: Int64, expires: Date) {
        guard var allowance = allowances[bucket], allowance.window == window else { return }
        allowance.available += granted
        allowance.wanted = 0
        allowance.dormant = false
        if granted < asked { allowance.exhausted = true }
        if granted > 0 { allowance.expires = expires }
        allowances[bucket] = allowance
    }

    /// Renews the expired allowances that were spent from since their last renewal (the store is up, so the
    /// node is alive and keeps them until `expires`), and returns the idle ones' units to give back, all but one.
    mutating func expire(now: Date, renewUntil expires: Date) -> [(bucket: String, window: Int64, units: Int)] {
        var result: [(String, Int64, Int)] = []
        for (bucket, allowance) in allowances where now >= allowance.expires && allowance.available != 0 {
            if allowance.busy && allowance.window == Self.window(now) {
                allowances[bucket]?.expires = expires
                allowances[bucket]?.busy = false
            } else if allowance.available > 0 {
                // One unit stays, so the next request after a quiet spell is admitted at once and wakes the top-ups.
                if allowance.available > 1 { result.append((bucket, allowance.window, allowance.available - 1)) }
                allowances[bucket]?.available = 1
                allowances[bucket]?.expires = expires
                allowances[bucket]?.dormant = true
            }
        }
        return result
    }
}
