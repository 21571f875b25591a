import Basics

/// `GET /v1/quotas`: the calling key's limits and what remains of them, per model.
public struct QuotaReport: Codable, Sendable, Equatable {
    /// A per-minute limit and what is left of it.
    public struct Bucket: Codable, Sendable, Equatable {
        /// The limit per minute.
        public var limit: Int
        /// What can be used right now.
        public var remaining: Int
        /// Seconds until the bucket is full again.
        public var resetSeconds: Double

        enum CodingKeys: String, CodingKey {
            case limit, remaining
            case resetSeconds = "reset_seconds"
        }
    }

    /// The concurrency limit and the slots in use.
    public struct Slots: Codable, Sendable, Equatable {
        /// Requests allowed in flight at once.
        public var limit: Int
        /// Requests in flight now.
        public var inUse: Int

        enum CodingKeys: String, CodingKey {
            case limit
            case inUse = "in_use"
        }
    }

    /// One model's quota; a nil field is unlimited.
    public struct Entry: Codable, Sendable, Equatable {
        /// The model.
        public var model: String
        /// Requests per minute.
        public var requestsPerMinute: Bucket?
        /// Prompt plus generated tokens per minute.
        public var tokensPerMinute: Bucket?
        /// Concurrent requests.
        public var concurrentRequests: Slots?

        enum CodingKeys: String, CodingKey {
            case model
            case requestsPerMinute = "requests_per_minute"
            case tokensPerMinute = "tokens_per_minute"
            case concurrentRequests = "concurrent_requests"
        }

        init(model: String, account: QuotaLimiter.Account) {
            func bucket(_ bucket: SlidingWindowLimit?) -> Bucket? {
                bucket.map {
                    Bucket(
                        limit: Int($0.capacity), remaining: Int($0.level.rounded(.down)),
                        resetSeconds: $0.untilFull.inSeconds)
                }
            }
            self.model = model
            requestsPerMinute = bucket(account.requests)
            tokensPerMinute = bucket(account.tokens)
            concurrentRequests = account.quota.concurrentRequests.map { Slots(limit: $0, inUse: account.inFlight) }
        }
    }

    /// The key's name.
    public var key: String
    /// Its quotas, one per model it has a quota for.
    public var data: [Entry]
}
