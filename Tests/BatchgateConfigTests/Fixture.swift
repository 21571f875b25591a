import Foundation

@testable import BatchgateConfig

/// A temporary directory holding the files configurations under test refer to:
/// `model.gguf` (starts with "GGUF"), `notgguf.bin` (starts with "GGML"), `short.gguf` (2 bytes),
/// `models-dir/` and `tls-dir/` (directories), `cert.pem` and `key.pem`.
struct Fixture {
    let directory: String

    /// A valid digest for keys in test configurations.
    static let digestA = APIKeyDigest.sha256Hex(of: "bg-test-a")
    /// Another valid digest.
    static let digestB = APIKeyDigest.sha256Hex(of: "bg-test-b")

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        directory = (base as NSString).appendingPathComponent("batchgate-config-\(UUID().uuidString)")
        let files: [String: [UInt8]] = [
            "model.gguf": Array("GGUF".utf8) + [3, 0, 0, 0, 0, 0, 0, 0],
            "notgguf.bin": Array("GGML".utf8) + [1, 2, 3, 4],
            "short.gguf": Array("GG".utf8),
            "cert.pem": Array("-----BEGIN CERTIFICATE-----\n".utf8),
            "key.pem": Array("-----BEGIN PRIVATE KEY-----\n".utf8),
        ]
        try FileManager.default.createDirectory(atPath: directory + "/models-dir", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/tls-dir", withIntermediateDirectories: true)
        for (name, bytes) in files {
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Parses `yaml` as the file `test.yaml` in this directory.
    func parse(_ yaml: String) throws(ConfigError) -> BatchgateConfiguration {
        try ConfigLoader.parse(yaml: yaml, file: "test.yaml", baseDirectory: directory)
    }

    /// The issues `yaml` is rejected with; empty when it loads.
    func issues(_ yaml: String) -> [ConfigIssue] {
        do {
            _ = try parse(yaml)
            return []
        } catch {
            return error.issues
        }
    }
}

/// The smallest valid configuration, 6 lines; cases append to it.
let baseYAML = """
    tls:
      certificate: cert.pem
      key: key.pem
    models:
      - name: m
        path: model.gguf

    """
