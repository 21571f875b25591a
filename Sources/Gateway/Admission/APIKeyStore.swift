import BatchgateConfig
import Foundation
import Synchronization

/// The API keys the gateway accepts, replaceable as a whole on reload.
///
/// Keys are stored as SHA-256 digests only. A presented key is hashed and compared with every digest of every key
/// in constant time, so neither the timing nor an early exit tells how close a guess was.
public final class APIKeyStore: Sendable {
    private let keys: Mutex<[BatchgateConfiguration.APIKey]>

    /// A store holding `keys`.
    public init(_ keys: [BatchgateConfiguration.APIKey]) {
        self.keys = Mutex(keys)
    }

    /// Replaces every key at once: a new key works at once, a removed one is refused at once.
    public func replace(with keys: [BatchgateConfiguration.APIKey]) {
        self.keys.withLock { $0 = keys }
    }

    /// How many keys there are.
    public var count: Int { keys.withLock { $0.count } }

    /// The key entry that `authorization` (the whole header value, `Bearer KEY`) presents, or a 401.
    public func authenticate(authorization: String?, now: Date = Date()) throws(GatewayError)
        -> BatchgateConfiguration.APIKey
    {
        guard let authorization, !authorization.isEmpty else {
            throw GatewayError(
                .missingAPIKey, "no API key: send it as 'Authorization: Bearer KEY'")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw GatewayError(.missingAPIKey, "the Authorization header must be 'Bearer KEY'")
        }
        let digest = APIKeyDigest.sha256Hex(of: String(parts[1]).trimmingCharacters(in: .whitespaces))
        let found = keys.withLock { keys in
            var match: BatchgateConfiguration.APIKey?
            for key in keys where key.matches(digest: digest) && match == nil { match = key }
            return match
        }
        guard let key = found else { throw GatewayError(.invalidAPIKey, "the API key is not valid") }
        guard !key.isExpired(at: now) else {
            throw GatewayError(.invalidAPIKey, "the API key '\(key.name)' has expired")
        }
        return key
    }
}
