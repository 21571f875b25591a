import Basics
import BatchgateConfig
import Foundation
import HTTPTypes
import Synchronization

/// Quotas that hold across the cluster: requests and tokens per minute are spent from slices this node leases from
/// the state store (`LeaseKeeper`), in fixed minute windows shared by every node; concurrent requests take slots
/// this node leases the same way (held until returned, lapsing after the lease time). Nothing on a request's path
/// waits for the store.
public final class ClusterQuotaPolicy: QuotaPolicy {
    /// The leased slices and slots.
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
                if let limit = quota.concurrentRequests {
                    keeper.registerSlots(Self.bucket(key.name, model, .concurrency), limit: limit)
                }
            }
        }
    }

    /// Admits a request from the leased slices, or refuses it: 429 when the slices are spent, 503 when the store
    /// is lost, the leases ran out and `on_database_loss` is `fail_closed`.
    public func admit(key: BatchgateConfiguration.APIKey, model: String, promptTokens: Int) throws(GatewayError)
        -> any QuotaLease
    {
        guard let quota = key.quota(for: model) else { return UnlimitedQuotas.Lease() }
        var uncounted = false
        var slot: String?
        func refuse(_ error: GatewayError) -> GatewayError {
            metrics?.quotaRejection(model: model, key: key.name, kind: error.codeLabel)
            return error
        }
        if let limit = quota.concurrentRequests {
            let bucket = Self.bucket(key.name, model, .concurrency)
            switch keeper.takeSlot(bucket) {
            case .taken:
                slot = bucket
            case .short:
                throw refuse(
                    GatewayError(
                        .rateLimited,
                        "the API key's quota of \(limit) concurrent requests across the cluster is in use; retry later",
                        retryAfter: .seconds(1), label: QuotaLimiter.Kind.concurrency.rawValue))
            case .storeLost:
                guard keeper.settings.onDatabaseLoss == .failOpen else { throw refuse(Self.storeUnavailable) }
                _ = keeper.takeSlot(bucket, uncounted: true)
                slot = bucket
            }
        }
        var spent: [(String, Int)] = []
        func refuseSpent(_ error: GatewayError) -> GatewayError {
            for (bucket, amount) in spent { keeper.unspend(bucket, amount) }
            if let slot { keeper.freeSlot(slot) }
            return refuse(error)
        }
        for (kind, limit, amount) in [
            (QuotaLimiter.Kind.requests, quota.requestsPerMinute, 1), (.tokens, quota.tokensPerMinute, promptTokens),
        ] {
            guard let limit else { continue }
            let bucket = Self.bucket(key.name, model, kind)
            if amount > limit {
                throw refuseSpent(
                    Self.refusal(kind, limit: limit, retryAfter: nil, neverFits: true, amount: amount))
            }
            switch keeper.spend(bucket, amount) {
            case .spent:
                spent.append((bucket, amount))
            case .short(let exhausted):
                let wait = exhausted ? keeper.holding(bucket)?.windowEnds ?? .seconds(1) : .seconds(1)
                throw refuseSpent(
                    Self.refusal(kind, limit: limit, retryAfter: wait, neverFits: false, amount: amount))
            case .storeLost:
                switch keeper.settings.onDatabaseLoss {
                case .failOpen:
                    uncounted = true
                case .failClosed:
                    throw refuseSpent(Self.storeUnavailable)
                }
            }
        }
        return Lease(
            policy: self, slot: slot,
            tokens: quota.tokensPerMinute == nil || uncounted ? nil : Self.bucket(key.name, model, .tokens),
            charged: promptTokens)
    }

    /// The 503 once the store is lost, the leases ran out and `on_database_loss` is `fail_closed`.
    static var storeUnavailable: GatewayError {
        GatewayError(
            .overloaded,
            "the quota store is unreachable and this node's leases of the key's quota have run out "
                + "(cluster.on_database_loss: fail_closed); retry later",
            retryAfter: .seconds(5), label: "quota_store_unavailable")
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
        var fields = HTTPFields()
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
        models.compactMap { model in
            guard key.quota(for: model) != nil else { return nil }
            func bucket(_ kind: QuotaLimiter.Kind) -> QuotaReport.Bucket? {
                keeper.holding(Self.bucket(key.name, model, kind)).map {
                    QuotaReport.Bucket(limit: $0.limit, remaining: $0.available, resetSeconds: $0.windowEnds.inSeconds)
                }
            }
            return QuotaReport.Entry(
                model: model, requestsPerMinute: bucket(.requests), tokensPerMinute: bucket(.tokens),
                concurrentRequests: keeper.slots(Self.bucket(key.name, model, .concurrency)).map {
                    QuotaReport.Slots(limit: $0.limit, inUse: $0.inUse)
                })
        }
    }

    /// Keeps the new keys' buckets (the old ones' slices run out with their window).
    public func keysReloaded(_ keys: [BatchgateConfiguration.APIKey]) {
        register(keys)
    }

    /// One admitted request's hold: its concurrency slot, and generated tokens charged to the leased slice.
    final class Lease: QuotaLease {
        let policy: ClusterQuotaPolicy
        let slot: String?
        let tokens: String?
        private let charged: Atomic<Int>
        private let released = Atomic<Bool>(false)

        init(policy: ClusterQuotaPolicy, slot: String?, tokens: String?, charged: Int) {
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

        func release() {
            guard let slot, !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
            policy.keeper.freeSlot(slot)
        }

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
