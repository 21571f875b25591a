import BatchgateTestSupport
import Foundation
import Glibc

/// One `batchgate serve` of a test cluster: the built binary on its own loopback address, with its own folder,
/// configuration and log. It can be started, killed (SIGKILL) and started again.
final class ClusterNode: @unchecked Sendable {
    /// The node's name (`cluster.node_name`).
    let name: String
    /// Its address: 127.0.0.2, .3, … (all of 127/8 reaches the loopback device on Linux).
    let host: String
    /// Its port (the same on every node: the addresses differ).
    let port: Int
    /// Its configuration file.
    let config: URL
    /// Where its standard output and error go.
    let log: URL
    private var process: Process?

    /// A node that will serve `yaml` from `folder` (not started yet).
    init(name: String, host: String, port: Int, folder: URL, yaml: String) throws {
        self.name = name
        self.host = host
        self.port = port
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        config = folder.appendingPathComponent("batchgate.yaml")
        log = folder.appendingPathComponent("serve.log")
        try yaml.write(to: config, atomically: true, encoding: .utf8)
    }

    /// Starts `batchgate serve` (the log is appended to).
    func start() throws {
        if !FileManager.default.fileExists(atPath: log.path) {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try WorkerSupport.executable())
        process.arguments = ["serve", "--config", config.path]
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = process
    }

    /// Waits until `/health/ready` answers 200.
    func waitReady(timeout: TimeInterval = 120) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if await HTTPClient.shared.get(url("/health/ready")).status == 200 { return }
            guard isRunning else { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ClusterError("node \(name) did not become ready:\n\(logText.suffix(4000))")
    }

    /// Whether the serve process is alive.
    var isRunning: Bool { process?.isRunning ?? false }

    /// Kills the node with SIGKILL (no drain, no goodbye to the store) and waits for it to be gone.
    func kill() {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Stops the node with SIGTERM (it drains), SIGKILL after `timeout`.
    func stop(timeout: TimeInterval = 15) {
        guard let process, process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        kill()
    }

    /// `http://host:port/path`.
    func url(_ path: String) -> URL { URL(string: "http://\(host):\(port)\(path)")! }

    /// The node's log so far.
    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
}

/// A cluster test's setup failed.
struct ClusterError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
