import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// The cluster's shared store: one PostgreSQL connection, opened again with back-off when it is lost. While it is
/// down, statements fail at once with `StateStoreError.unavailable` (no waiting on the caller's path).
public actor PostgresBackend: SQLBackend {
    /// PostgreSQL.
    public nonisolated let dialect = SQLDialect.postgres
    private let settings: PostgresSettings
    private let logger: Logger
    private var connection: PostgresConnection?
    /// The connection attempt under way: callers arriving meanwhile wait for it rather than open a second one.
    private var connecting: Task<PostgresConnection, any Error>?
    private var nextAttempt = ContinuousClock.now
    private var backoff = Duration.milliseconds(250)
    private var connectionCount = 0
    /// The longest wait between two connection attempts.
    public static let maximumBackoff = Duration.seconds(5)

    /// A backend for `settings`; it connects on first use.
    public init(settings: PostgresSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Runs one statement, connecting first when needed.
    public func execute(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]] {
        let connection = try await connected()
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case .integer(let value): bindings.append(value)
            case .real(let value): bindings.append(value)
            case .text(let value): bindings.append(value)
            case .null: bindings.appendNull()
            }
        }
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
                .collect()
            return try rows.map { row in try row.map(Self.value) }
        } catch let error as PSQLError where error.serverInfo == nil {
            // The connection broke (no server message): drop it, and let the next call reconnect.
            self.connection = nil
            try? await connection.close()
            throw StateStoreError.unavailable(String(reflecting: error))
        } catch let error as PSQLError {
            throw StateStoreError.statementFailed(error.serverInfo?[.message] ?? String(reflecting: error))
        }
    }

    /// Migrations hold a session advisory lock, so nodes starting together migrate one at a time.
    public func withSchemaLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        _ = try await execute("SELECT pg_advisory_lock(7373)", [])
        do {
            let result = try await body()
            _ = try? await execute("SELECT pg_advisory_unlock(7373)", [])
            return result
        } catch {
            _ = try? await execute("SELECT pg_advisory_unlock(7373)", [])
            throw error
        }
    }

    /// Closes the connection.
    public func close() async {
        try? await connection?.close()
        connection = nil
    }

    private func connected() async throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        if let stale = connection {
            // The server closed it (a restart): close our end too; PostgresNIO requires it before release.
            connection = nil
            try? await stale.close()
        }
        if let connecting {
            do { return try await connecting.value } catch {
                throw StateStoreError.unavailable("\(settings.host):\(settings.port): \(String(reflecting: error))")
            }
        }
        let now = ContinuousClock.now
        guard now >= nextAttempt else {
            throw StateStoreError.unavailable("reconnecting to \(settings.host):\(settings.port) (backing off)")
        }
        let tls: PostgresConnection.Configuration.TLS
        switch settings.tls {
        case .disable: tls = .disable
        case .verifyFull: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: settings.password,
            database: settings.database, tls: tls)
        configuration.options.connectTimeout = .seconds(3)
        connectionCount += 1
        let (id, logger) = (connectionCount, logger)
        let attempt = Task {
            try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
        }
        connecting = attempt
        defer { connecting = nil }
        do {
            let fresh = try await attempt.value
            connection = fresh
            backoff = .milliseconds(250)
            return fresh
        } catch {
            nextAttempt = ContinuousClock.now + backoff
            backoff = min(backoff * 2, Self.maximumBackoff)
            throw StateStoreError.unavailable("\(settings.host):\(settings.port): \(String(reflecting: error))")
        }
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        default: return .text(try cell.decode(String.self))
        }
    }
}
