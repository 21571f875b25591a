import Foundation
import Logging
import SQLiteNIO

/// One node's state store file: an SQLite database (the single-node default; no server to run).
public actor SQLiteBackend: SQLBackend {
    /// SQLite.
    public nonisolated let dialect = SQLDialect.sqlite
    private let connection: SQLiteConnection

    /// Opens (creating when missing) the database at `path`, and its directory.
    public init(path: String, logger: Logger) async throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            throw StateStoreError.unavailable("cannot open \(path): \(error)")
        }
        // A second process (`batchgate usage`) may read while the server writes.
        _ = try await execute("PRAGMA journal_mode=WAL", [])
        _ = try await execute("PRAGMA busy_timeout=5000", [])
    }

    /// An in-memory database, for tests.
    public init(memoryLogger logger: Logger) async throws {
        connection = try await SQLiteConnection.open(storage: .memory, logger: logger)
    }

    /// Runs one statement; `$N` parameters become SQLite's `?N`.
    public func execute(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]] {
        let rows: [SQLiteRow]
        do {
            rows = try await connection.query(Self.numberedParameters(sql), binds.map(Self.data))
        } catch {
            throw StateStoreError.statementFailed("\(error)")
        }
        return rows.map { row in row.columns.map { Self.value($0.data) } }
    }

    /// The schema lock: one process migrates at a time (SQLite's own write lock; migrations run in a transaction).
    public func withSchemaLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await body()
    }

    /// Closes the file.
    public func close() async {
        try? await connection.close()
    }

    /// `$12` becomes `?12`: SQLite reads `$12` as a named parameter, numbered by first appearance. On the UTF-8 bytes
    /// (a usage batch's statement is thousands of characters; walking it by `Character` cost more than the insert).
    static func numberedParameters(_ sql: String) -> String {
        var bytes = Array(sql.utf8)
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        for index in bytes.indices.dropLast()
        where bytes[index] == UInt8(ascii: "$") && digits.contains(bytes[index + 1]) {
            bytes[index] = UInt8(ascii: "?")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func data(_ value: SQLValue) -> SQLiteData {
        switch value {
        case .integer(let value): .integer(SQLiteInt64(value))
        case .real(let value): .float(value)
        case .text(let value): .text(value)
        case .null: .null
        }
    }

    static func value(_ data: SQLiteData) -> SQLValue {
        switch data {
        case .integer(let value): .integer(Int64(value))
        case .float(let value): .real(value)
        case .text(let value): .text(value)
        case .blob(let buffer): .text(String(buffer: buffer))
        case .null: .null
        }
    }
}
