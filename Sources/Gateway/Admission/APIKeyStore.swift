import BatchgateConfig
import Foundation
import Synchronization

/// The API keys the gateway accepts, replaceable as a whole on reload.
///
/// Keys are stored as SHA-256 digests only. A presented key is hashed and compared with every digest of every key
/// in constant time, so neither the timing nor an early exit tells how close a guess was.
public final class APIKeyStore: Sendable {
    /// A key with its digests as bytes, decoded once when the keys are loaded.
    private struct Entry: Sendable {
        var key: BatchgateConfiguration.APIKey
        var digests: [SIMD32<UInt8>]
    }

    private let entries: Mutex<[Entry]>

    /// A store holding `keys`.
    public init(_ keys: [BatchgateConfiguration.APIKey]) {
        entries = Mutex(Self.entries(keys))
    }

    /// Replaces every key at once: a new key works at once, a removed one is refused at once.
    public func replace(with keys: [BatchgateConfiguration.APIKey]) {
        let replacement = Self.entries(keys)
        entries.withLock { $0 = replacement }
    }

    /// How many keys there are.
    public var count: Int { entries.withLock { $0.count } }

    /// Every key, in configuration order (names, quotas, flags; the digests stay inside).
    public var keys: [BatchgateConfiguration.APIKey] { entries.withLock { $0.map(\.key) } }

    /// The key entry that `authorization` (the whole header value, `Bearer KEY`) presents, or a 401.
    public func authenticate(authorization: String?, now: Date = Date()) throws(GatewayError)
        -> BatchgateConfiguration.APIKey
    {
        guard let authorization, !authorization.isEmpty else {
            throw GatewayError(
                .missingAPIKey, "no API key: send it as 'Authorization: Bearer KEY'")
        }
        guard let presented = Self.bearerToken(authorization) else {
            throw GatewayError(.missingAPIKey, "the Authorization header must be 'Bearer KEY'")
        }
        let digest = APIKeyDigest.sha256(of: presented)
        let found = entries.withLock { entries in
            var match: BatchgateConfiguration.APIKey?
            // Every digest of every key is compared, so the time taken does not tell which key came close.
            for entry in entries where APIKeyDigest.matchesAny(entry.digests, digest) && match == nil {
                match = entry.key
            }
            return match
        }
        guard let key = found else { throw GatewayError(.invalidAPIKey, "the API key is not valid") }
        guard !key.isExpired(at: now) else {
            throw GatewayError(.invalidAPIKey, "the API key '\(key.name)' has expired")
        }
        return key
    }

    /// The key of `Bearer KEY` (scheme in any case, spaces or tabs around the key), or nil for another form.
    static func bearerToken(_ header: String) -> Substring? {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let trimmed = header.drop(while: blank)
        guard let space = trimmed.firstIndex(where: blank),
            trimmed[..<space].lowercased() == "bearer"
        else { return nil }
        var key = trimmed[space...].drop(while: blank)
        while let last = key.last, blank(last) { key = key.dropLast() }
        return key.isEmpty ? nil : key
    }

    private static func entries(_ keys: [BatchgateConfiguration.APIKey]) -> [Entry] {
        keys.map { key in Entry(key: key, digests: key.digestBytes) }
    }
}
