import Glibc

/// Recent service per tenant: tokens processed for each tenant, decaying with a half-life, so that the
/// tenant that has received the least lately is served first and an idle tenant's history fades.
struct FairShare: Sendable {
    /// A decayed count and when it was last brought up to date.
    private struct Usage: Sendable {
        var tokens: Double
        var at: Duration
    }

    let halfLife: Duration
    private var usage: [String: Usage] = [:]

    init(halfLife: Duration) {
        self.halfLife = halfLife
    }

    private func decayed(_ entry: Usage, to now: Duration) -> Double {
        let elapsed = (now - entry.at) / halfLife
        return elapsed <= 0 ? entry.tokens : entry.tokens * exp2(-elapsed)
    }

    /// The tenant's decayed token count at `now` (always 0 with a zero half-life: fair share off).
    func tokens(of tenant: String, at now: Duration) -> Double {
        guard halfLife > .zero else { return 0 }
        return usage[tenant].map { decayed($0, to: now) } ?? 0
    }

    /// Adds `tokens` processed for `tenant` at `now`.
    mutating func charge(_ tenant: String, tokens: Int, at now: Duration) {
        guard halfLife > .zero else { return }
        let current = usage[tenant].map { decayed($0, to: now) } ?? 0
        usage[tenant] = Usage(tokens: current + Double(tokens), at: now)
    }

    /// Whether `tenant` was served within one half-life of `now`.
    func isActive(_ tenant: String, at now: Duration) -> Bool {
        guard let entry = usage[tenant] else { return false }
        return now - entry.at <= halfLife
    }

    /// Tenants served within one half-life of `now`.
    func activeTenants(at now: Duration) -> [String] {
        usage.compactMap { now - $0.value.at <= halfLife ? $0.key : nil }
    }

    /// Forgets tenants whose count has decayed below one token (keeps the table small).
    mutating func prune(at now: Duration) {
        usage = usage.filter { decayed($0.value, to: now) >= 1 }
    }
}
