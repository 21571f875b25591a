import BatchgateConfig
import BatchgateTestSupport
import Foundation
import Logging
import StateStore

/// An API key of a test cluster: its name, the secret clients send, and its quota (a YAML flow mapping for every
/// model, e.g. `{requests_per_minute: 60}`; nil for none).
struct TestKey {
    var name: String
    var quota: String?
    /// The secret: derived from the name.
    var secret: String { "bg-cluster-\(name)" }
}

/// Nodes of `batchgate serve` sharing one real PostgreSQL (Debian's server, started by `TemporaryPostgres`), each
/// on its own loopback address and the same port, all serving a tiny model with the same keys. A case adds what it
/// needs: `node(_:)` to reach, kill or restart one, `postgres` to stop and start the database, `usage(by:)` for
/// `batchgate usage` against it, `slots(_:)` for the concurrency leases as the store has them.
final class TestCluster: @unchecked Sendable {
    /// The shared database.
    let postgres: TemporaryPostgres
    /// The nodes, in the order they were named.
    let nodes: [ClusterNode]
    /// Where the configurations, logs and the model are.
    let folder: URL

    /// Starts PostgreSQL and one node per name (`a` on 127.0.0.2, `b` on 127.0.0.3, …), and waits until every node
    /// is ready. `cluster` holds extra lines for every node's `cluster:` block (each `  key: value`), `models` the
    /// `models:` entries when a case wants other than the one tiny model, `onlyOn` more entries for single nodes by
    /// name (`{path}` in them stands for the tiny model's file).
    init(
        names: [String] = ["a", "b", "c"], keys: [TestKey], cluster: String = "", models: String? = nil,
        onlyOn: [String: String] = [:]
    ) async throws {
        let postgres = try TemporaryPostgres()
        self.postgres = postgres
        let model = try WorkerSupport.tinyModel(context: 4096)
        let folder = URL(fileURLWithPath: (model as NSString).deletingLastPathComponent)
        self.folder = folder
        let passwordFile = folder.appendingPathComponent("pgpass")
        try Data(postgres.password.utf8).write(to: passwordFile)
        let port = try LoopbackPort.free()
        let keysYAML = keys.map { key in
            "  - name: \(key.name)\n    sha256: \(APIKeyDigest.sha256Hex(of: key.secret))"
                + (key.quota.map { "\n    quotas: {\"*\": \($0)}" } ?? "")
        }.joined(separator: "\n")
        let modelsYAML =
            models ?? """
                  - name: tiny
                    path: \(model)
                    workers: 1
                    threads: 1
                    max_running: 8
                    max_queue: 64
                    kv_cache_mib: 8
                    chat_template: llama2
                """
        nodes = try names.enumerated().map { index, name in
            try ClusterNode(
                name: name, host: "127.0.0.\(index + 2)", port: port, folder: folder.appendingPathComponent(name),
                yaml: """
                    listener:
                      host: 127.0.0.\(index + 2)
                      port: \(port)
                      plaintext: true
                      drain_timeout: 2s
                    models:
                    \(modelsYAML)
                    \(onlyOn[name]?.replacingOccurrences(of: "{path}", with: model) ?? "")
                    keys:
                    \(keysYAML)
                    logging:
                      level: info
                    cluster:
                      node_name: \(name)
                      database_url: postgres://\(postgres.user)@127.0.0.1:\(postgres.port)/\(postgres.database)?sslmode=disable
                      password_file: \(passwordFile.path)
                      lease_time: \(Self.leaseTime)s
                      heartbeat_interval: 1s
                    \(cluster)
                    """)
        }
        do {
            for node in nodes { try node.start() }
            for node in nodes { try await node.waitReady() }
        } catch {
            shutdown()
            throw error
        }
    }

    /// The lease time every node runs with (seconds): short, so that expiry shows within a test.
    static let leaseTime = 3

    /// The node named `name`.
    func node(_ name: String) -> ClusterNode { nodes.first { $0.name == name }! }

    /// Stops every node and the database, and removes the files.
    func shutdown() {
        for node in nodes { node.stop() }
        postgres.stop()
        // BATCHGATE_KEEP_CLUSTER=1 keeps the nodes' configurations and logs for a look after a failure.
        if ProcessInfo.processInfo.environment["BATCHGATE_KEEP_CLUSTER"] != "1" {
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// `batchgate usage --config (first node's) --since 1h --by DIMENSIONS --csv`: the requests per group, with
    /// the group's values joined by "/" (e.g. `rpm/tiny`), and the errors.
    func usage(by dimensions: String = "key,model") async throws -> [String: (requests: Int, errors: Int)] {
        let config = nodes[0].config.path
        let output = try await onOwnThread {
            try Self.run(["usage", "--config", config, "--since", "1h", "--by", dimensions, "--csv"])
        }
        var result: [String: (Int, Int)] = [:]
        let lines = output.split(whereSeparator: \.isNewline).map { $0.split(separator: ",").map(String.init) }
        guard let header = lines.first, let requests = header.firstIndex(of: "requests"),
            let errors = header.firstIndex(of: "errors")
        else { throw ClusterError("batchgate usage printed no CSV header: \(output)") }
        for cells in lines.dropFirst() where cells.count == header.count {
            result[cells[..<requests].joined(separator: "/")] = (Int(cells[requests]) ?? -1, Int(cells[errors]) ?? -1)
        }
        return result
    }

    /// The concurrency slots each node holds of `bucket` (`key/model/concurrency`), as the store has them; the
    /// total over all nodes is under "".
    /// Tries again for up to 15 s: on a loaded machine a connection can time out.
    func slots(_ bucket: String) async throws -> [String: Int] {
        let deadline = Date().addingTimeInterval(15)
        while true {
            do { return try await slotsOnce(bucket) } catch  where Date() < deadline {
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    private func slotsOnce(_ bucket: String) async throws -> [String: Int] {
        let store = try await StateStoreLocation.postgres(
            PostgresSettings(
                host: "127.0.0.1", port: postgres.port, user: postgres.user, database: postgres.database,
                password: postgres.password, tls: .disable)
        ).open(logger: Logger(label: "cluster-test"))
        defer { Task { await store.close() } }
        let rows = try await store.backend.execute(
            "SELECT node, slots FROM concurrency_leases WHERE bucket = $1", [.text(bucket)])
        return Dictionary(uniqueKeysWithValues: rows.map { ($0[0].text ?? "?", Int($0[1].integer ?? -1)) })
    }

    /// Runs `batchgate arguments…` and returns its standard output; a failure is an error with its output.
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try WorkerSupport.executable())
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClusterError(
                "batchgate \(arguments.joined(separator: " ")) failed: \(String(decoding: err, as: UTF8.self))")
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The value of the metric line starting with `prefix` on `node`'s `/metrics`.
    func metric(_ node: ClusterNode, _ prefix: String) async -> Double? {
        let text = await HTTPClient.shared.get(node.url("/metrics")).body
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }
            .flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }
    }
}

/// Seconds into the current minute window (the windows quotas are leased in are the minutes since 1970).
func secondsIntoMinute(_ date: Date = Date()) -> TimeInterval {
    date.timeIntervalSince1970.truncatingRemainder(dividingBy: 60)
}

/// Sleeps until `date`.
func sleep(until date: Date) async throws {
    let wait = date.timeIntervalSinceNow
    if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
}
