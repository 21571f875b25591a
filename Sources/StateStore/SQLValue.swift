/// One value bound to, or read from, a statement: the few types the state store's tables use.
public enum SQLValue: Sendable, Equatable {
    /// A 64-bit integer (counts, milliseconds since 1970).
    case integer(Int64)
    /// A double.
    case real(Double)
    /// Text.
    case text(String)
    /// SQL NULL.
    case null

    /// The value as an integer, when it is one (a real is truncated).
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .real(let value): Int64(value)
        case .text(let value): Int64(value)
        case .null: nil
        }
    }

    /// The value as text, when it is text (numbers are written out).
    public var text: String? {
        switch self {
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let value): value
        case .null: nil
        }
    }
}

/// The SQL a backend speaks; the schema's few differences (identity columns) key on it.
public enum SQLDialect: String, Sendable {
    /// SQLite 3.35 or later (`RETURNING`, `ON CONFLICT`).
    case sqlite
    /// PostgreSQL 12 or later.
    case postgres
}

/// A database connection the state store runs statements on. Statements number their parameters `$1`, `$2`, …;
/// a row comes back as its columns' values in select order.
public protocol SQLBackend: Sendable {
    /// Which SQL this backend speaks.
    var dialect: SQLDialect { get }
    /// Runs one statement with `binds` and returns its rows.
    func execute(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]]
    /// Runs `body` while holding the schema lock, so that nodes starting together migrate one at a time.
    func withSchemaLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T
    /// Closes the connection.
    func close() async
}
