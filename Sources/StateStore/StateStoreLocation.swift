import Logging

/// Where the state store lives: an SQLite file on one node, or the cluster's PostgreSQL.
public enum StateStoreLocation: Sendable, Equatable {
    /// An SQLite file (created with its directory when missing).
    case sqlite(path: String)
    /// A PostgreSQL database.
    case postgres(PostgresSettings)

    /// The file name of the single-node store inside the data directory.
    public static let sqliteFileName = "batchgate.sqlite"

    /// Opens the store here, applying migrations; throws `StateStoreError.schemaTooNew` for a newer schema.
    public func open(logger: Logger) async throws -> SQLStateStore {
        switch self {
        case .sqlite(let path):
            return try await SQLStateStore.open(try await SQLiteBackend(path: path, logger: logger))
        case .postgres(let settings):
            return try await SQLStateStore.open(PostgresBackend(settings: settings, logger: logger))
        }
    }

    /// Where it is, for logs and messages (never the password).
    public var summary: String {
        switch self {
        case .sqlite(let path): "SQLite file \(path)"
        case .postgres(let settings):
            "PostgreSQL \(settings.user)@\(settings.host):\(settings.port)/\(settings.database)"
        }
    }
}
