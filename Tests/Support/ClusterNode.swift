import Foundation
import Glibc

/// One `batchgate serve` node of a test cluster: its own folder, port and models, the cluster's PostgreSQL, and the
/// files every node shares from `ClusterNode.Shared` (one TLS certificate for 127.0.0.1 that each node presents and
/// trusts, the peer secret that turns routing on, the database password). Start the first node before the others:
/// it writes the certificate the others reuse.
public final class ClusterNode: @unchecked Sendable {
    /// What the nodes of one test cluster share.
    public struct Shared: Sendable {
        /// The folder holding the shared files.
        public let folder: URL
        /// The TLS certificate every node presents and trusts (written by the first node).
        public var certificate: String { folder.appendingPathComponent("cert.pem").path }
        /// Its private key.
        public var key: String { folder.appendingPathComponent("key.pem").path }
        /// The file holding the peer secret.
        public var peerSecret: String { folder.appendingPathComponent("peer-secret").path }
        /// The `database_url` of the cluster's PostgreSQL.
        public let databaseURL: String
        /// The file holding the database password.
        public var passwordFile: String { folder.appendingPathComponent("db-password").path }

        /// Shared files for the cluster on `database` (a fresh peer secret, the password in a file).
        public init(database: TemporaryPostgres) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            databaseURL =
                "postgres://\(database.user)@127.0.0.1:\(database.port)/\(database.database)?sslmode=disable"
            try Data((UUID().uuidString + UUID().uuidString).utf8).write(
                to: folder.appendingPathComponent("peer-secret"))
            try Data(database.password.utf8).write(to: folder.appendingPathComponent("db-password"))
        }

        /// Removes the shared files.
        public func remove() {
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// One model a node serves: its name, its file, and extra lines for its entry (`    key: value`).
    public struct Model: Sendable {
        /// The name clients ask for.
        public var name: String
        /// The model file.
        public var path: String
        /// Extra lines for its entry.
        public var extra: String

        /// A model entry.
        public init(name: String, path: String, extra: String = "") {
            self.name = name
            self.path = path
            self.extra = extra
        }
    }

    /// The node's name (`cluster.node_name`).
    public let name: String
    /// Its port on 127.0.0.1.
    public let port: Int
    /// Its folder (configuration and log).
    public let folder: URL
    /// The `batchgate serve` process.
    public let process: Process
    /// Its log file.
    public let log: URL
    /// The certificate curl trusts.
    public let certificate: String

    /// Starts node `name` serving `models` with the `keys:` entries `keys` (YAML lines), and waits until its
    /// `/health/ready` answers 200. `routing` false leaves `peer_secret_file` out; `cluster` holds extra lines for
    /// the `cluster:` block (each `  key: value`).
    public init(
        name: String, shared: Shared, models: [Model], keys: String, routing: Bool = true,
        heartbeat: String = "1s", cluster: String = ""
    ) throws {
        self.name = name
        port = try LoopbackPort.free()
        folder = shared.folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        certificate = shared.certificate
        let modelsYAML = models.map { model in
            """
              - name: \(model.name)
                path: \(model.path)
                workers: 1
                threads: 1
                kv_cache_mib: 8
                chat_template: llama2
            \(model.extra)
            """
        }.joined(separator: "\n")
        let yaml = """
            listener:
              host: 127.0.0.1
              port: \(port)
              drain_timeout: 5s
            tls:
              certificate: \(shared.certificate)
              key: \(shared.key)
              self_signed: true
            models:
            \(modelsYAML)
            keys:
            \(keys)
            logging:
              level: info
            cluster:
              node_name: \(name)
              database_url: \(shared.databaseURL)
              password_file: \(shared.passwordFile)
              advertise_address: 127.0.0.1:\(port)
              heartbeat_interval: \(heartbeat)
            \(routing ? "  peer_secret_file: \(shared.peerSecret)" : "")
            \(cluster)
            """
        let config = folder.appendingPathComponent("batchgate.yaml")
        try yaml.write(to: config, atomically: true, encoding: .utf8)
        log = folder.appendingPathComponent("node.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: try WorkerSupport.executable())
        process.arguments = ["serve", "--config", config.path]
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            if (try? curl(["-o", "/dev/null", "-w", "%{http_code}", url("/health/ready")]).output) == "200" { return }
            guard process.isRunning else { break }
            usleep(100_000)
        }
        throw ClusterNodeError("node \(name) did not become ready:\n\(logText)")
    }

    deinit { stop() }

    /// Kills the node and its workers at once (SIGKILL; the workers notice their gateway is gone and exit).
    public func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Stops the node gracefully (SIGTERM) and waits for it.
    public func stop() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }

    /// The node's log so far.
    public var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// The URL of `path` on the node.
    public func url(_ path: String) -> String { "https://127.0.0.1:\(port)\(path)" }

    /// Runs curl against the node (trusting the cluster's certificate); returns stdout and the exit status.
    @discardableResult
    public func curl(_ arguments: [String]) throws -> (output: String, status: Int32) {
        try Curl.run(["--cacert", certificate, "--max-time", "60"] + arguments)
    }

    /// A chat completion of `model` with `key` (`max_tokens`, `stream`, `ignore_eos`, greedy), as curl arguments: the
    /// URL first; `headers` adds header lines.
    public func chatArguments(
        model: String, key: String, maxTokens: Int, stream: Bool, headers: [String] = []
    ) -> [String] {
        [
            url("/v1/chat/completions"), "-H", "Authorization: Bearer \(key)", "-H",
            "Content-Type: application/json",
        ] + headers.flatMap { ["-H", $0] } + [
            "-d",
            #"{"model":"\#(model)","messages":[{"role":"user","content":"go"}],"stream":\#(stream),"#
                + #""ignore_eos":true,"temperature":0,"max_tokens":\#(maxTokens)}"#,
        ]
    }

    /// Starts a curl of `arguments` in the background, writing the body to `output` as it comes (`-N`).
    public func startCurl(_ arguments: [String], output: URL) throws -> Process {
        try Curl.start(["--cacert", certificate, "--max-time", "120"] + arguments, output: output)
    }

    /// The sum of the values of the `/metrics` lines that start with `prefix` (0 when there are none).
    public func metric(_ prefix: String) throws -> Double {
        let text = try curl([url("/metrics")]).output
        return text.split(separator: "\n").filter { $0.hasPrefix(prefix) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    /// The worker processes (children of the node).
    public var workerPIDs: [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && pid_t(fields[1]) == process.processIdentifier
        }
    }
}

/// Why a test cluster node could not be started.
public struct ClusterNodeError: Error, CustomStringConvertible {
    /// What went wrong, with the node's log.
    public let description: String
    init(_ description: String) { self.description = description }
}
