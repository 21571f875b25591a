import Basics
import BatchgateConfig
import HTTPTypes
import Synchronization

/// Per-key, per-model quotas: requests and tokens per minute as continuously refilling token buckets, and
/// concurrent requests as slots. Requests and prompt tokens are charged at admission, completion tokens as they
/// stream, and a refused request is charged nothing. The state of a key survives a reload that leaves its name in
/// place; a changed limit applies from the next request.
public final class QuotaLimiter: QuotaPolicy {
    /// What a key has of one model's quota right now.
    struct Account {
        var quota: BatchgateConfiguration.Quota
        var requests: SlidingWindowLimit?
        var tokens: SlidingWindowLimit?
        var inFlight = 0

        init(quota: BatchgateConfiguration.Quota, now: Duration) {
            self.quota = quota
            requests = quota.requestsPerMinute.map { SlidingWindowLimit(perMinute: $0, now: now) }
            tokens = quota.tokensPerMinute.map { SlidingWindowLimit(perMinute: $0, now: now) }
        }

        /// Applies a changed quota, keeping what was used of the limits that remain.
        mutating func update(_ new: BatchgateConfiguration.Quota, now: Duration) {
            guard new != quota else { return }
            requests = Self.resized(requests, to: new.requestsPerMinute, now: now)
            tokens = Self.resized(tokens, to: new.tokensPerMinute, now: now)
            quota = new
        }

        static func resized(_ bucket: SlidingWindowLimit?, to limit: Int?, now: Duration) -> SlidingWindowLimit? {
            guard let limit else { return nil }
            guard var bucket else { return SlidingWindowLimit(perMinute: limit, now: now) }
            bucket.resize(perMinute: limit)
            return bucket
        }

        mutating func refill(at now: Duration) {
            requests?.refill(at: now)
            tokens?.refill(at: now)
        }
    }

    struct AccountKey: Hashable {
        var key: String
        var model: String
    }

    private let clock: @Sendable () -> Duration
    private let metrics: GatewayMetrics?
    private let accounts: Mutex<[AccountKey: Account]> = Mutex([:])

    /// A limiter reading time from `clock` (monotonic; tests pass one they control) and reporting to `metrics`.
    public init(metrics: GatewayMetrics? = nil, clock: (@Sendable () -> Duration)? = nil) {
        let start = ContinuousClock.now
        self.clock = clock ?? { ContinuousClock.now - start }
        self.metrics = metrics
    }

    /// Admits a request or refuses it with a 429 naming the quota; nothing is charged for a refusal.
    public func admit(key: BatchgateConfiguration.APIKey, model: String, promptTokens: Int) throws(GatewayError)
        -> any QuotaLease
    {
        guard let quota = key.quota(for: model) else { return UnlimitedQuotas.Lease() }
        let now = clock()
        let id = AccountKey(key: key.name, model: model)
        let outcome: Result<Account, GatewayError> = accounts.withLock { accounts in
            var account = accounts[id] ?? Account(quota: quota, now: now)
            account.update(quota, now: now)
            account.refill(at: now)
            defer { accounts[id] = account }
            if let limit = quota.concurrentRequests, account.inFlight >= limit {
                return .failure(
                    Self.refusal(
                        .concurrency, "\(limit) concurrent requests", retryAfter: .seconds(1), account: account,
                        neverFits: false))
            }
            if let bucket = account.requests, !bucket.has(1) {
                return .failure(
                    Self.refusal(
                        .requests, "\(Int(bucket.capacity)) requests per minute", retryAfter: bucket.wait(for: 1),
                        account: account, neverFits: false))
            }
            if let bucket = account.tokens, !bucket.has(Double(promptTokens)) {
                let wait = bucket.wait(for: Double(promptTokens))
                return .failure(
                    Self.refusal(
                        .tokens,
                        wait == nil
                            ? "the prompt (\(promptTokens) tokens) is larger than the whole quota of "
                                + "\(Int(bucket.capacity)) tokens per minute"
                            : "\(Int(bucket.capacity)) tokens per minute",
                        retryAfter: wait, account: account, neverFits: wait == nil))
            }
            account.requests?.take(1)
            account.tokens?.take(Double(promptTokens))
            account.inFlight += 1
            return .success(account)
        }
        switch outcome {
        case .failure(let error):
            metrics?.quotaRejection(model: model, key: key.name, kind: error.codeLabel)
            throw error
        case .success(let account):
            report(id, account)
            return Lease(limiter: self, account: id, charged: promptTokens)
        }
    }

    /// The kinds of quota, as the 429's `code` names them.
    enum Kind: String {
        case requests, tokens, concurrency
    }

    static func refusal(_ kind: Kind, _ limit: String, retryAfter: Duration?, account: Account, neverFits: Bool)
        -> GatewayError
    {
        var error = GatewayError(
            .rateLimited,
            neverFits
                ? "this request can never fit the key's quota: \(limit)"
                : "the API key's quota of \(limit) is used up; retry later",
            retryAfter: neverFits ? nil : max(retryAfter ?? .seconds(1), .seconds(1)), label: kind.rawValue)
        error.headers = headers(account)
        if neverFits { error.headers[HTTPField.Name("x-should-retry")!] = "false" }
        return error
    }

    /// The `x-ratelimit-*` headers for `key` on `model` (none when the key has no quota there).
    public func headers(key: BatchgateConfiguration.APIKey, model: String) -> HTTPFields {
        guard key.quota(for: model) != nil else { return [:] }
        let now = clock()
        let account = accounts.withLock { accounts -> Account? in
            accounts[AccountKey(key: key.name, model: model)]?.refill(at: now)
            return accounts[AccountKey(key: key.name, model: model)]
        }
        return account.map(Self.headers) ?? [:]
    }

    static func headers(_ account: Account) -> HTTPFields {
        var fields = HTTPFields()
        for (name, bucket) in [("requests", account.requests), ("tokens", account.tokens)] {
            guard let bucket else { continue }
            fields[HTTPField.Name("x-ratelimit-limit-\(name)")!] = "\(Int(bucket.capacity))"
            fields[HTTPField.Name("x-ratelimit-remaining-\(name)")!] = "\(Int(bucket.level.rounded(.down)))"
            fields[HTTPField.Name("x-ratelimit-reset-\(name)")!] = openAIDuration(bucket.untilFull)
        }
        return fields
    }

    /// A duration as OpenAI writes it in `x-ratelimit-reset-*`: `1s`, `6m0s`, `20ms`.
    static func openAIDuration(_ duration: Duration) -> String {
        let milliseconds = Int((duration.inSeconds * 1000).rounded(.up))
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        let seconds = (milliseconds + 999) / 1000
        if seconds < 60 { return "\(seconds)s" }
        return "\(seconds / 60)m\(seconds % 60)s"
    }

    /// Charges `tokens` completion tokens; false when the token quota has none left.
    func charge(_ id: AccountKey, tokens: Int) -> Bool {
        let now = clock()
        let result = accounts.withLock { accounts -> (Bool, Account?) in
            guard var account = accounts[id] else { return (true, nil) }
            account.refill(at: now)
            var ok = true
            if let bucket = account.tokens {
                ok = bucket.has(Double(tokens))
                if ok { account.tokens?.take(Double(tokens)) }
            }
            accounts[id] = account
            return (ok, account)
        }
        if let account = result.1 { report(id, account) }
        return result.0
    }

    /// Returns the concurrency slot of one request.
    func release(_ id: AccountKey) {
        let account = accounts.withLock { accounts -> Account? in
            accounts[id]?.inFlight -= 1
            return accounts[id]
        }
        if let account { report(id, account) }
    }

    /// Drops the accounts of keys that are gone after a reload (their leases in flight release harmlessly).
    public func keysReloaded(_ keys: [BatchgateConfiguration.APIKey]) {
        let names = Set(keys.map(\.name))
        accounts.withLock { accounts in accounts = accounts.filter { names.contains($0.key.key) } }
    }

    /// What `key` has left on each model it has a quota for, for `GET /v1/quotas`.
    public func report(key: BatchgateConfiguration.APIKey, models: [String]) -> [QuotaReport.Entry] {
        let now = clock()
        return models.compactMap { model in
            guard let quota = key.quota(for: model) else { return nil }
            var account =
                accounts.withLock { $0[AccountKey(key: key.name, model: model)] } ?? Account(quota: quota, now: now)
            account.update(quota, now: now)
            account.refill(at: now)
            return QuotaReport.Entry(model: model, account: account)
        }
    }

    private func report(_ id: AccountKey, _ account: Account) {
        guard let metrics else { return }
        metrics.quotaRemaining(
            model: id.model, key: id.key, requests: account.requests.map { $0.level.rounded(.down) },
            tokens: account.tokens.map { $0.level.rounded(.down) }, inFlight: account.inFlight)
    }

    /// One admitted request's hold on its account.
    final class Lease: QuotaLease {
        let limiter: QuotaLimiter
        let account: AccountKey
        private let released = Atomic<Bool>(false)
        private let charged: Atomic<Int>

        init(limiter: QuotaLimiter, account: AccountKey, charged: Int) {
            self.limiter = limiter
            self.account = account
            self.charged = Atomic(charged)
        }

        func charge(completionTokens tokens: Int) -> Bool {
            guard limiter.charge(account, tokens: tokens) else { return false }
            charged.add(tokens, ordering: .relaxed)
            return true
        }

        func release() {
            guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
            limiter.release(account)
        }

        var chargedTokens: Int? { charged.load(ordering: .relaxed) }
    }
}
