/// Why the state store refused or failed.
public enum StateStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database holds a schema newer than this build knows: an older node must not write to it.
    case schemaTooNew(found: Int, supported: Int)
    /// The database cannot be reached now; the caller retries later (reconnection backs off).
    case unavailable(String)
    /// A statement failed.
    case statementFailed(String)
    /// The settings are unusable (a bad URL, a missing password file).
    case invalidSettings(String)

    /// The message an operator reads.
    public var description: String {
        switch self {
        case .schemaTooNew(let found, let supported):
            "the state store's schema is version \(found), newer than this batchgate's \(supported): "
                + "upgrade this node (it refuses to write to a schema it does not know)"
        case .unavailable(let why): "the state store is unreachable: \(why)"
        case .statementFailed(let why): "a state store statement failed: \(why)"
        case .invalidSettings(let why): "state store settings: \(why)"
        }
    }
}
