import Basics
import BatchgateConfig
import Foundation
import HTTPTypes
import Synchronization

/// Quotas that hold across the cluster: requests and tokens per minute are spent from slices this node leases from
/// the state store (`LeaseKeeper`), in fixed minute windows shared by every node; concurrent requests are counted
/// per node by the local limiter. Nothing on a request's path waits for the store.
public final class ClusterQuotaPolicy: QuotaPolicy {
    /// Per-node concurrency (the local limiter sees keys with only their concurrency limits).
    let local: QuotaLimiter
    /// The leased slices.
    public let keeper: LeaseKeeper
    private let models: [String]
    private let metrics: GatewayMetrics?

    /// A policy over `keeper` for the keys' quotas on `models`.
    public init(
        keeper: LeaseKeeper, keys: [BatchgateConfiguration.APIKey], models: [String], metrics: GatewayMetrics? = nil
    ) {
        self.keeper = keeper
        self.models = models
        self.metrics = metrics
        local = QuotaLimiter(metrics: nil)
        register(keys)
    }

    /// The bucket name of `kind` of `key` on `model`.
    static func bucket(_ key: String, _ model: String, _ kind: QuotaLimiter.Kind) -> String {
        "\(key)/\(model)/\(kind.rawValue)"
    }

    private func register(_ keys: [BatchgateConfiguration.APIKey]) {
        for key in keys {
            for model in models where key.models.allows(model) {
                guard let quota = key.quota(for: model) else { continue }
                if let limit = quota.requestsPerMinute {
                    keeper.register(Self.bucket(key.name, model, .requests), limit: limit)
                }
                if let limit = quota.tokensPerMinute {
                    keeper.register(Self.bucket(key.name, model, .tokens), limit: limit)
                }
            }
        }
    }

    /// `key` with only its concurrency limits, for the local limiter.
    static func concurrencyOnly(_ key: BatchgateConfiguration.APIKey) -> BatchgateConfiguration.APIKey {
        var key = key
        key.quotas = key.quotas.mapValues { .init(concurrentRequests: $0.concurrentRequests) }
        return key
    }

    /// Admits a request from the leased slices, or refuses it: 429 when the slices are spent, 503 when the store
    /// is lost, the leases ran out and `on_database_loss` is `fail_closed`.
    public func admit(key: BatchgateConfiguration.APIKey, model: String, promptTokens: Int) throws(GatewayError)
        -> any QuotaLease
    {
        guard let quota = key.quota(for: model) else { return UnlimitedQuotas.Lease() }
        let slot = try local.admit(key: Self.concurrencyOnly(key), model: model, promptTokens: promptTokens)
        var spent: [(String, Int)] = []
        func refuse(_ error: GatewayError) -> GatewayError {
            for (bucket, amount) in spent { keeper.unspend(bucket, amount) }
            slot.release()
            metrics?.quotaRejection(model: model, key: key.name, kind: error.codeLabel)
            return error
        }
        var uncounted = false
        for (kind, limit, amount) in [
            (QuotaLimiter.Kind.requests, quota.requestsPerMinute, 1), (.tokens, quota.tokensPerMinute, promptTokens),
        ] {
            guard let limit else { continue }
            let bucket = Self.bucket(key.name, model, kind)
            if amount > limit {
                throw refuse(
                    Self.refusal(kind, limit: limit, retryAfter: nil, neverFits: true, amount: amount))
            }
            switch keeper.spend(bucket, amount) {
            case .spent:
                spent.append((bucket, amount))
            case .short(let exhausted):
                let wait = exhausted ? keeper.holding(bucket)?.windowEnds ?? .seconds(1) : .seconds(1)
                throw refuse(Self.refusal(kind, limit: limit, retryAfter: wait, neverFits: false, amount: amount))
            case .storeLost:
                switch keeper.settings.onDatabaseLoss {
                case .failOpen:
                    uncounted = true
                case .failClosed:
                    throw refuse(
                        GatewayError(
                            .overloaded,
                            "the quota store is unreachable and this node's leases of the key's quota have run out "
                                + "(cluster.on_database_loss: fail_closed); retry later",
                            retryAfter: .seconds(5), label: "quota_store_unavailable"))
                }
            }
        }
        return Lease(
            policy: self, slot: slot,
            tokens: quota.tokensPerMinute == nil || uncounted ? nil : Self.bucket(key.name, model, .tokens),
            charged: promptTokens)
    }

    static func refusal(_ kind: QuotaLimiter.Kind, limit: Int, retryAfter: Duration?, neverFits: Bool, amount: Int)
        -> GatewayError
    {
        let what = kind == .requests ? "\(limit) requests per minute" : "\(limit) tokens per minute"
        var error = GatewayError(
            .rateLimited,
            neverFits
                ? "this request can never fit the key's quota: the prompt (\(amount) tokens) is larger than the "
                    + "whole quota of \(what)"
                : "the API key's quota of \(what) across the cluster is used up; retry later",
            retryAfter: neverFits ? nil : max(retryAfter ?? .seconds(1), .seconds(1)), label: kind.rawValue)
        if neverFits { error.headers[HTTPField.Name("x-should-retry")!] = "false" }
        return error
    }

    /// `x-ratelimit-limit-*` (the cluster-wide limit), `-remaining-*` (what this node holds now) and `-reset-*`
    /// (the end of the minute window).
    public func headers(key: BatchgateConfiguration.APIKey, model: String) -> HTTPFields {
        var fields = local.headers(key: Self.concurrencyOnly(key), model: model)
        for kind in [QuotaLimiter.Kind.requests, .tokens] {
            guard let held = keeper.holding(Self.bucket(key.name, model, kind)) else { continue }
            fields[HTTPField.Name("x-ratelimit-limit-\(kind.rawValue)")!] = "\(held.limit)"
            fields[HTTPField.Name("x-ratelimit-remaining-\(kind.rawValue)")!] = "\(held.available)"
            fields[HTTPField.Name("x-ratelimit-reset-\(kind.rawValue)")!] = QuotaLimiter.openAIDuration(held.windowEnds)
        }
        return fields
    }

    /// The key's quotas: limits, what this node holds, and the slots in use here.
    public func report(key: BatchgateConfiguration.APIKey, models: [String]) -> [QuotaReport.Entry] {
        let slots = Dictionary(
            local.report(key: Self.concurrencyOnly(key), models: models).map { ($0.model, $0.concurrentRequests) },
            uniquingKeysWith: { first, _ in first })
        return models.compactMap { model in
            guard key.quota(for: model) != nil else { return nil }
            func bucket(_ kind: QuotaLimiter.Kind) -> QuotaReport.Bucket? {
                keeper.holding(Self.bucket(key.name, model, kind)).map {
                    QuotaReport.Bucket(limit: $0.limit, remaining: $0.available, resetSeconds: $0.windowEnds.inSeconds)
                }
            }
            return QuotaReport.Entry(
                model: model, requestsPerMinute: bucket(.requests), tokensPerMinute: bucket(.tokens),
                concurrentRequests: slots[model] ?? nil)
        }
    }

    /// Keeps the new keys' buckets (the old ones' slices run out with their window).
    public func keysReloaded(_ keys: [BatchgateConfiguration.APIKey]) {
        local.keysReloaded(keys)
        register(keys)
    }

    /// One admitted request's hold: its concurrency slot, and generated tokens charged to the leased slice.
    final class Lease: QuotaLease {
        let policy: ClusterQuotaPolicy
        let slot: any QuotaLease
        let tokens: String?
        private let charged: Atomic<Int>

        init(policy: ClusterQuotaPolicy, slot: any QuotaLease, tokens: String?, charged: Int) {
            self.policy = policy
            self.slot = slot
            self.tokens = tokens
            self.charged = Atomic(charged)
        }

        /// Generated tokens are charged even past the slice (the top-up covers it) until the window is spent.
        func charge(completionTokens count: Int) -> Bool {
            if let tokens {
                switch policy.keeper.spend(tokens, count, overdraft: true) {
                case .spent: break
                case .short: return false
                case .storeLost: if policy.keeper.settings.onDatabaseLoss == .failClosed { return false }
                }
            }
            charged.add(count, ordering: .relaxed)
            return true
        }

        func release() { slot.release() }

        var chargedTokens: Int? { charged.load(ordering: .relaxed) }
    }
}

extension QuotaReport.Entry {
    /// An entry from its parts.
    init(
        model: String, requestsPerMinute: QuotaReport.Bucket?, tokensPerMinute: QuotaReport.Bucket?,
        concurrentRequests: QuotaReport.Slots?
    ) {
        self.model = model
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.concurrentRequests = concurrentRequests
    }
}
