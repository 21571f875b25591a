/// How this node leases slices of cluster-wide quotas from the state store.
public struct LeaseSettings: Sendable, Equatable {
    /// What a limited quota does once the store is lost and this node's leases have run out.
    public enum OnDatabaseLoss: String, Sendable, Equatable {
        /// Refuse requests of limited quotas (503 `quota_store_unavailable`) until the store is back.
        case failClosed = "fail_closed"
        /// Admit them uncounted until the store is back.
        case failOpen = "fail_open"
    }

    /// How long a slice is valid: unused units are given back after it, and without the store a node serves on
    /// its slices for at most this long.
    public var leaseTime: Duration
    /// The share of a minute's limit one slice holds (at least one unit).
    public var sliceFraction: Double
    /// What to do after the leases run out without the store.
    public var onDatabaseLoss: OnDatabaseLoss
    /// How often the keeper tops up, gives back and renews slices.
    public var tick: Duration

    /// Creates settings.
    public init(
        leaseTime: Duration = .seconds(10), sliceFraction: Double = 0.1, onDatabaseLoss: OnDatabaseLoss = .failClosed,
        tick: Duration = .milliseconds(100)
    ) {
        self.leaseTime = leaseTime
        self.sliceFraction = sliceFraction
        self.onDatabaseLoss = onDatabaseLoss
        self.tick = tick
    }

    /// The slice of `limit` one lease asks for.
    func slice(of limit: Int) -> Int { max(1, Int((Double(limit) * sliceFraction).rounded(.up))) }
}
