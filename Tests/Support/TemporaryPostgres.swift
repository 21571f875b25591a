import Foundation

/// A throwaway PostgreSQL server from Debian's `postgresql` package: initdb into a temporary directory, started on
/// a free loopback port with password (SCRAM) logins; as root it runs as the `postgres` user, which PostgreSQL
/// requires. `stop()` removes it all. Shared by the state store's tests and the multi-node tests.
public final class TemporaryPostgres: @unchecked Sendable {
    /// Debian's server programs.
    public static let binaries = "/usr/lib/postgresql/15/bin"
    /// Whether the server programs are installed (`make test` installs them).
    public static var installed: Bool { FileManager.default.isExecutableFile(atPath: binaries + "/pg_ctl") }
    /// Whether a missing server fails the tests instead of skipping them (`make test` sets it).
    public static var required: Bool { ProcessInfo.processInfo.environment["BATCHGATE_REQUIRE_POSTGRES"] == "1" }

    /// Where its data, log and socket live.
    public let directory: String
    /// Its TCP port on 127.0.0.1.
    public let port: Int
    /// The login.
    public let user = "batchgate"
    /// The login's password.
    public let password = "test-\(UUID().uuidString.prefix(8))"
    /// The database the tests use.
    public let database = "batchgate"

    /// Creates, starts and makes the database.
    public init() throws {
        directory = "/tmp/batchgate-pg-\(UUID().uuidString.prefix(8))"
        port = try LoopbackPort.free()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(password.utf8).write(to: URL(fileURLWithPath: directory + "/pwfile"))
        do {
            if getuid() == 0 { try Self.run("/bin/chown", ["-R", "postgres:postgres", directory]) }
            try asServerUser(
                "initdb",
                ["-D", directory + "/data", "-U", user, "--pwfile=" + directory + "/pwfile", "--auth=scram-sha-256"])
            try start()
            try asServerUser(
                "createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, database], password: password)
        } catch {
            // A failed setup leaves nothing behind: no server, no directory.
            stop()
            throw error
        }
    }

    /// Starts the server (again) on the same port.
    public func start() throws {
        try asServerUser(
            "pg_ctl",
            [
                "-D", directory + "/data", "-l", directory + "/log", "-w", "-t", "30", "-o",
                "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off", "start",
            ])
    }

    /// Stops the server, fast (connections are cut).
    public func stopServer() throws {
        try asServerUser("pg_ctl", ["-D", directory + "/data", "-m", "fast", "-w", "stop"])
    }

    /// Stops the server and removes its files.
    public func stop() {
        try? stopServer()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func asServerUser(_ program: String, _ arguments: [String], password: String? = nil) throws {
        let path = Self.binaries + "/" + program
        if getuid() == 0 {
            var environment: [String] = []
            if let password { environment = ["env", "PGPASSWORD=\(password)"] }
            try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--"] + environment + [path] + arguments)
        } else {
            try Self.run(path, arguments, environment: password.map { ["PGPASSWORD": $0] } ?? [:])
        }
    }

    /// Runs `path arguments…` through `/bin/sh` with its output in a file, and waits with `waitpid`. Not
    /// Foundation's `Process`: its wait does not return while the server that `pg_ctl start` leaves behind lives.
    private static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let outputPath = "/tmp/batchgate-pg-output-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let assignments = environment.map { "\($0.key)=\(quoted($0.value)) " }.joined()
        let command =
            "cd /tmp && " + assignments + ([path] + arguments).map(quoted).joined(separator: " ")
            + " </dev/null >\(outputPath) 2>&1"
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] =
            ["/bin/sh", "-c", command].map { (text: String) in strdup(text) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0 else {
            throw TemporaryPostgresError(message: "cannot start /bin/sh for \(path)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw TemporaryPostgresError(message: "\(path) \(arguments.joined(separator: " ")) failed: \(text)")
        }
    }
}

/// Why the temporary server could not be set up.
public struct TemporaryPostgresError: Error, CustomStringConvertible {
    let message: String
    public var description: String { message }
}
