import BatchgateConfig
import BatchgateTestSupport
import Foundation
import Glibc
import Testing

/// A real `batchgate serve` process on a tiny model with real worker processes, over TLS with a self-signed
/// certificate, on a free loopback port.
final class LiveGateway {
    let process: Process
    let port: Int
    let folder: URL
    let certificate: String
    let log: URL
    /// Arguments every curl of `curl(_:)` gets first.
    var curlArguments: [String]
    static let key = "bg-live-test-key"

    /// Starts the gateway and waits until `/health/ready` answers 200.
    /// `listener` holds extra lines for the `listener:` block (each `  key: value`); `prepare` runs in the gateway's
    /// folder before it starts and returns extra lines for the `tls:` block and extra arguments for every curl (a
    /// client certificate). `modelFile` serves that model file instead of a tiny random one, with `chatTemplate`.
    /// `sections` holds extra top-level YAML sections (a `tracing:` block), `modelLines` extra lines for the model,
    /// each indented in full (`    key: value`). `logLevel` is `logging.level`; `context` is the tiny model's context
    /// length. `log` puts the gateway's output in that file instead of the folder's `gateway.log`; with
    /// `waitForReady` false, any answer of `/health/ready` will do. `launcher` runs the gateway through a command
    /// (`prlimit --nofile=…`), which must exec it in its own process.
    init(
        workers: Int = 1, maxRunning: Int = 8, maxQueue: Int = 64, keys: String? = nil, vocabulary: Int? = 512,
        listener: String = "", modelFile: String? = nil, chatTemplate: String = "llama2", kvCacheMiB: Int = 8,
        sections: String = "", logLevel: String = "info", context: Int = 4096, modelLines: String = "",
        log logFile: URL? = nil, waitForReady: Bool = true, launcher: [String] = [],
        prepare: (URL) throws -> (tls: String, curl: [String]) = { _ in ("", []) }
    ) throws {
        let model: String
        if let modelFile {
            // A model file of the cache (the demo's), served from a folder of its own.
            let own = FileManager.default.temporaryDirectory.appendingPathComponent("live-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
            model = own.appendingPathComponent("tiny.gguf").path
            try FileManager.default.createSymbolicLink(atPath: model, withDestinationPath: modelFile)
        } else {
            model = try WorkerSupport.tinyModel(context: context, vocabulary: vocabulary)
        }
        folder = URL(fileURLWithPath: (model as NSString).deletingLastPathComponent)
        let (tlsExtra, curlExtra) = try prepare(folder)
        curlArguments = curlExtra
        port = try LoopbackPort.free()
        certificate = folder.appendingPathComponent("cert.pem").path
        let yaml = """
            listener:
              host: 127.0.0.1
              port: \(port)
              drain_timeout: 30s
            \(listener)
            tls:
              certificate: cert.pem
              key: key.pem
              self_signed: true
            \(tlsExtra)
            models:
              - name: tiny
                path: tiny.gguf
                workers: \(workers)
                threads: 1
                max_running: \(maxRunning)
                max_queue: \(maxQueue)
                kv_cache_mib: \(kvCacheMiB)
                chat_template: \(chatTemplate)
            \(modelLines)
            keys:
            \(keys ?? Self.keysYAML())
            logging:
              level: \(logLevel)
            \(sections)
            """
        let config = folder.appendingPathComponent("batchgate.yaml")
        try yaml.write(to: config, atomically: true, encoding: .utf8)
        log = logFile ?? folder.appendingPathComponent("gateway.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process = Process()
        let serve = [try WorkerSupport.executable(), "serve", "--config", config.path]
        let command = launcher + serve
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let status = try curl(["-o", "/dev/null", "-w", "%{http_code}", url("/health/ready")]).output
            if status == "200" || (!waitForReady && status != "000") { return }
            guard process.isRunning else { break }
            usleep(100_000)
        }
        throw LiveGatewayError("gateway did not become ready:\n\(logText)")
    }

    /// The `keys:` entries: the test key, with `quota` (a YAML flow mapping) for every model when given.
    static func keysYAML(_ extra: [(name: String, key: String, quota: String?)] = []) -> String {
        ([("live", key, nil)] + extra).map { entry in
            "  - name: \(entry.name)\n    sha256: \(APIKeyDigest.sha256Hex(of: entry.key))"
                + (entry.quota.map { "\n    quotas: {\"*\": \($0)}" } ?? "")
        }.joined(separator: "\n")
    }

    /// The worker processes (children of the gateway).
    var workerPIDs: [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && pid_t(fields[1]) == process.processIdentifier
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: folder)
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func url(_ path: String) -> String { "https://localhost:\(port)\(path)" }

    /// Runs curl against the gateway (trusting its certificate); returns stdout and the exit status.
    @discardableResult
    func curl(_ arguments: [String]) throws -> (output: String, status: Int32) {
        try Curl.run(["--cacert", certificate, "--max-time", "60"] + curlArguments + arguments)
    }

    /// Starts a streaming chat completion with curl in the background, writing the SSE body to `output`.
    func startStream(maxTokens: Int, output: URL) throws -> Process {
        try Curl.start(
            [
                "--cacert", certificate, "--max-time", "120", url("/v1/chat/completions"),
                "-H", "Authorization: Bearer \(Self.key)", "-H", "Content-Type: application/json", "-d",
                #"{"model":"tiny","messages":[{"role":"user","content":"go"}],"stream":true,"ignore_eos":true,"#
                    + #""max_tokens":\#(maxTokens)}"#,
            ], output: output)
    }

    /// The value of the metric line starting with `prefix` in `/metrics`.
    func metric(_ prefix: String) throws -> Double? {
        let text = try curl([url("/metrics")]).output
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }
            .flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }
    }
}

struct LiveGatewayError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
