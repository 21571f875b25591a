import BatchgateTestSupport
import Foundation
import Logging
import Synchronization
import Testing

@testable import StateStore

/// Every line logged to a `CapturedLog`'s handlers, at trace level and up.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])

    /// A logger writing here.
    func logger() -> Logger {
        Logger(label: "captured") { label in Handler(label: label, log: self) }
    }

    struct Handler: LogHandler {
        let label: String
        let log: CapturedLog
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            log.lines.withLock { $0.append("\(event.level) \(label) \(event.message) \(all)") }
        }
    }
}

/// The PostgreSQL password never reaches a log line or an error a caller logs: not the right one while the store
/// connects and works (the driver's trace lines included), not a wrong one when the server refuses it.
@Suite(
    "PostgreSQL password stays out of logs", .serialized,
    .enabled(if: TemporaryPostgres.installed || TemporaryPostgres.required, "PostgreSQL 15 is not installed"))
struct PasswordLogTests {
    @Test("Connecting, working, and a refused password log neither password, at trace level")
    func passwordNotLogged() async throws {
        let server = try TemporaryPostgres()
        defer { server.stop() }
        let captured = CapturedLog()
        let logger = captured.logger()
        let wrong = "wrong-\(UUID().uuidString)"
        func settings(_ password: String) -> PostgresSettings {
            PostgresSettings(
                host: "127.0.0.1", port: server.port, user: server.user, database: server.database,
                password: password, tls: .disable)
        }
        var refusal = ""
        do {
            _ = try await StateStoreLocation.postgres(settings(wrong)).open(logger: logger)
            Issue.record("a wrong password was accepted")
        } catch {
            refusal = "\(error) \(String(reflecting: error))"
        }
        let store = try await StateStoreLocation.postgres(settings(server.password)).open(logger: logger)
        try await store.insertUsage([usage(key: "k", model: "m")])
        _ = try await store.usage(UsageQuery(since: .distantPast, dimensions: [.key]))
        await store.close()

        let lines = captured.lines.withLock { $0 }
        #expect(!lines.isEmpty, "the store and its driver logged nothing: the capture is not wired")
        #expect(!refusal.isEmpty)
        for (name, secret) in [("password", server.password), ("wrong password", wrong)] {
            let leaks = lines.filter { $0.contains(secret) }
            #expect(leaks.isEmpty, "the \(name) is in the log:\n\(leaks.prefix(3).joined(separator: "\n"))")
            #expect(!refusal.contains(secret), "the \(name) is in the refusal: \(refusal)")
        }
    }
}
