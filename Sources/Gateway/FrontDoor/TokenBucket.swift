import NIOCore

/// A token bucket on an event loop's clock: `capacity` tokens at first, refilled at `perSecond` a second up to
/// `capacity`. Two numbers and a time: cheap enough to keep one per connection. It bounds requests per connection
/// (`listener.max_requests_per_second_per_connection`) and HTTP/2 stream resets (`listener.http2_max_stream_resets`).
struct TokenBucket {
    /// The most tokens it holds (the burst).
    let capacity: Double
    /// Tokens added per second.
    let perSecond: Double
    private var tokens: Double
    private var updated: NIODeadline?

    init(capacity: Int, perSecond: Double) {
        self.capacity = Double(capacity)
        self.perSecond = perSecond
        tokens = Double(capacity)
    }

    /// Takes one token at `now`; false (and nothing taken) when the bucket is empty.
    mutating func take(now: NIODeadline) -> Bool {
        if let updated, now > updated {
            tokens = min(capacity, tokens + Double((now - updated).nanoseconds) / 1e9 * perSecond)
        }
        updated = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whole seconds until a token is back (at least 1), for `Retry-After`.
    var secondsUntilNext: Int {
        max(1, Int(((1 - tokens) / perSecond).rounded(.up)))
    }
}
