import BatchgateConfig
import HTTPTypes

/// Where per-key, per-model quotas plug into the request path: `admit` before the request is queued,
/// `QuotaLease.charge` as tokens stream, `QuotaLease.release` exactly once on every ending.
public protocol QuotaPolicy: Sendable {
    /// Admits a request of `key` for `model` with `promptTokens` prompt tokens, or refuses it (a 429).
    func admit(key: BatchgateConfiguration.APIKey, model: String, promptTokens: Int) throws(GatewayError)
        -> any QuotaLease
    /// Headers every response to `key` for `model` carries (the `x-ratelimit-*` family).
    func headers(key: BatchgateConfiguration.APIKey, model: String) -> HTTPFields
    /// What `key` has left on each of `models` that it has a quota for (`GET /v1/quotas`).
    func report(key: BatchgateConfiguration.APIKey, models: [String]) -> [QuotaReport.Entry]
    /// The keys after a reload: state of keys that kept their name stays, that of removed keys goes.
    func keysReloaded(_ keys: [BatchgateConfiguration.APIKey])
}

/// What an admitted request holds of its key's quota until it ends.
public protocol QuotaLease: Sendable {
    /// Charges `tokens` more generated tokens; false when the token quota is exhausted (the stream then ends
    /// with `finish_reason: "length"`).
    func charge(completionTokens tokens: Int) -> Bool
    /// Gives back the concurrency slot; the gateway calls it exactly once per admitted request (more calls do
    /// nothing).
    func release()
    /// Tokens charged so far (prompt and completion); nil when no quota applies.
    var chargedTokens: Int? { get }
}

/// No quotas: every request is admitted and nothing is counted.
public struct UnlimitedQuotas: QuotaPolicy {
    /// The policy.
    public init() {}

    /// Admits everything.
    public func admit(key: BatchgateConfiguration.APIKey, model: String, promptTokens: Int) throws(GatewayError)
        -> any QuotaLease
    {
        Lease()
    }

    /// No headers.
    public func headers(key: BatchgateConfiguration.APIKey, model: String) -> HTTPFields { [:] }

    /// Nothing to report.
    public func report(key: BatchgateConfiguration.APIKey, models: [String]) -> [QuotaReport.Entry] { [] }

    /// Nothing to keep.
    public func keysReloaded(_ keys: [BatchgateConfiguration.APIKey]) {}

    struct Lease: QuotaLease {
        func charge(completionTokens tokens: Int) -> Bool { true }
        func release() {}
        var chargedTokens: Int? { nil }
    }
}
