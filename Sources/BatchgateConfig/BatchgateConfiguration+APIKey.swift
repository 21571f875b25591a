import Foundation

extension BatchgateConfiguration {
    /// Which models a key may use.
    public enum ModelAccess: Sendable, Equatable {
        /// Every configured model (`models: ["*"]`, the default).
        case all
        /// Only these models, in file order.
        case only([String])

        /// Whether a model of this name is allowed.
        public func allows(_ model: String) -> Bool {
            switch self {
            case .all: true
            case .only(let names): names.contains(model)
            }
        }
    }

    /// Per-minute and concurrency limits for one key on one model; `nil` means unlimited.
    public struct Quota: Sendable, Equatable {
        /// Requests accepted per rolling minute.
        public var requestsPerMinute: Int?
        /// Prompt plus generated tokens per rolling minute.
        public var tokensPerMinute: Int?
        /// Requests in flight at once.
        public var concurrentRequests: Int?

        /// Creates a quota.
        public init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil, concurrentRequests: Int? = nil) {
            self.requestsPerMinute = requestsPerMinute
            self.tokensPerMinute = tokensPerMinute
            self.concurrentRequests = concurrentRequests
        }
    }

    /// One entry of `keys:` — an API key, stored only as its SHA-256 digest.
    public struct APIKey: Sendable, Equatable {
        /// Name used in logs and metrics; unique.
        public var name: String
        /// Lowercase hex SHA-256 digests of the key; two during a rotation.
        public var sha256: [String]
        /// Which models the key may use; default all.
        public var models: ModelAccess
        /// 0...9; higher is served first; default 0.
        public var priority: Int
        /// The instant from which the key is refused; a date-only value means the end of that day (UTC).
        public var expires: Date?
        /// Quotas by model name; the entry `"*"` applies to models without their own entry.
        public var quotas: [String: Quota]
        /// Whether the key may read operator endpoints (the dashboard, usage reports); default `false`.
        public var admin: Bool

        /// Creates an API key entry.
        public init(
            name: String,
            sha256: [String],
            models: ModelAccess = .all,
            priority: Int = 0,
            expires: Date? = nil,
            quotas: [String: Quota] = [:],
            admin: Bool = false
        ) {
            self.name = name
            self.sha256 = sha256
            self.models = models
            self.priority = priority
            self.expires = expires
            self.quotas = quotas
            self.admin = admin
        }

        /// The quota that applies to `model`: its own entry, else the `"*"` entry, else `nil` (unlimited).
        public func quota(for model: String) -> Quota? {
            quotas[model] ?? quotas["*"]
        }

        /// Whether the key is expired at `date`.
        public func isExpired(at date: Date) -> Bool {
            guard let expires else { return false }
            return date >= expires
        }

        /// Whether `digest` (hex SHA-256 of a presented key, either case) is one of this key's digests, compared
        /// in constant time.
        public func matches(digest: String) -> Bool {
            guard let presented = APIKeyDigest.digestBytes(hex: digest) else { return false }
            return APIKeyDigest.matchesAny(digestBytes, presented)
        }

        /// The digests as bytes (a malformed one, which the configuration loader refuses, matches nothing).
        public var digestBytes: [SIMD32<UInt8>] { sha256.compactMap(APIKeyDigest.digestBytes(hex:)) }
    }
}
