/// A per-minute limit over a sliding 60-second window: what was taken comes back exactly one minute later (counted
/// in 100 ms slots, rounded so that nothing comes back early). Capacity therefore refills continuously, a burst at
/// any moment can take at most one minute's worth, and no 60-second window, wherever it starts, ever holds more than
/// the limit (a plain token bucket would allow twice the limit in the minute after a full bucket is drained).
public struct SlidingWindowLimit: Sendable, Equatable {
    /// The length of one counting slot.
    static let slot: Duration = .milliseconds(100)
    /// How long a take counts against the limit.
    static let window: Duration = .seconds(60)

    /// The limit per minute.
    public private(set) var capacity: Double
    /// Takes still inside the window: (the slot they were made in, amount), oldest first.
    private var takes: [(slot: Int64, amount: Double)] = []
    private var start = 0
    private var inWindow: Double = 0
    /// The time of the last update.
    public private(set) var updated: Duration

    /// A full limit of `perMinute` units at `now`.
    public init(perMinute: Int, now: Duration) {
        capacity = Double(perMinute)
        updated = now
    }

    public static func == (lhs: SlidingWindowLimit, rhs: SlidingWindowLimit) -> Bool {
        lhs.capacity == rhs.capacity && lhs.inWindow == rhs.inWindow && lhs.updated == rhs.updated
    }

    /// Units available now (never above `capacity`, never below 0).
    public var level: Double { max(0, capacity - inWindow) }

    static func slotIndex(_ time: Duration) -> Int64 {
        let (seconds, attoseconds) = time.components
        return seconds * 10 + attoseconds / 100_000_000_000_000_000
    }

    /// When a take made in `slot` stops counting: one window after the end of its slot.
    static func release(of slot: Int64) -> Duration { slot.duration(of: Self.slot) + Self.slot + Self.window }

    /// Lets go of the takes that left the window by `now`.
    public mutating func refill(at now: Duration) {
        if now > updated { updated = now }
        while start < takes.count, Self.release(of: takes[start].slot) <= updated {
            inWindow -= takes[start].amount
            start += 1
        }
        if start > 64 && start * 2 > takes.count {
            takes.removeFirst(start)
            start = 0
        }
        if start == takes.count { inWindow = 0 }
    }

    /// Whether `amount` units are available now.
    public func has(_ amount: Double) -> Bool { level + 1e-9 >= amount }

    /// Takes `amount` units at the last update's time; the caller checked `has` first.
    public mutating func take(_ amount: Double) {
        guard amount > 0 else { return }
        let slot = Self.slotIndex(updated)
        if start < takes.count, takes[takes.count - 1].slot == slot {
            takes[takes.count - 1].amount += amount
        } else {
            takes.append((slot, amount))
        }
        inWindow += amount
    }

    /// How long until `amount` units are available (zero when they are; nil when `amount` exceeds the capacity).
    public func wait(for amount: Double) -> Duration? {
        guard amount <= capacity + 1e-9 else { return nil }
        guard !has(amount) else { return .zero }
        var available = level
        for index in start..<takes.count {
            available += takes[index].amount
            if available + 1e-9 >= amount { return Self.release(of: takes[index].slot) - updated }
        }
        return Self.window
    }

    /// How long until the whole limit is available again.
    public var untilFull: Duration {
        guard start < takes.count else { return .zero }
        return Self.release(of: takes[takes.count - 1].slot) - updated
    }

    /// Applies a changed limit, keeping the takes still in the window.
    public mutating func resize(perMinute: Int) {
        capacity = Double(perMinute)
    }
}

extension Int64 {
    /// This many `unit`s.
    fileprivate func duration(of unit: Duration) -> Duration { unit * Int(self) }
}
