import Foundation
import Testing

/// Model files no worker could load are refused by `config check` and by `serve`, with the reason, instead of a
/// worker restarted forever.
@Suite("Model files that cannot be served")
struct ModelFileCLITests {
    /// A GGUF v3 file holding only `general.architecture = architecture`.
    static func ggufNamingArchitecture(_ architecture: String) -> Data {
        var bytes = Data("GGUF".utf8)
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        func appendString(_ text: String) {
            append(UInt64(text.utf8.count))
            bytes.append(contentsOf: text.utf8)
        }
        append(UInt32(3))  // version
        append(UInt64(0))  // tensors
        append(UInt64(1))  // metadata entries
        appendString("general.architecture")
        append(UInt32(8))  // string
        appendString(architecture)
        return bytes
    }

    func configuration(in directory: TemporaryDirectory) throws -> String {
        try directory.write(
            "batchgate.yaml",
            """
            tls: {certificate: cert.pem, key: key.pem}
            models:
              - name: m
                path: model.gguf
            keys:
              - name: k
                sha256: \(String(repeating: "ab", count: 32))
            """)
    }

    @Test("config check names a model of an unsupported architecture, and a file cut short")
    func configCheck() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try configuration(in: directory)
        let model = directory.path + "/model.gguf"
        #expect(try BatchgateProcess.run(["config", "check", file]).status == 0)

        try Self.ggufNamingArchitecture("bert").write(to: URL(fileURLWithPath: model))
        let bert = try BatchgateProcess.run(["config", "check", file])
        #expect(bert.status == 1)
        #expect(bert.stderr.contains("\(file): models.m.path: "), "\(bert.stderr)")
        #expect(bert.stderr.contains("architecture 'bert' is not supported"), "\(bert.stderr)")
        #expect(bert.stderr.hasSuffix("1 model in \(file) cannot be served\n"))

        let whole = try Data(contentsOf: URL(fileURLWithPath: try TemporaryDirectory.tinyModel()))
        try whole.prefix(whole.count - 4096).write(to: URL(fileURLWithPath: model))
        let cut = try BatchgateProcess.run(["config", "check", file])
        #expect(cut.status == 1)
        #expect(cut.stderr.contains("models.m.path: "), "\(cut.stderr)")
    }

    @Test("serve refuses to start on such a model, at once and with the reason")
    func serveRefuses() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try configuration(in: directory)
        try Self.ggufNamingArchitecture("qwen").write(to: URL(fileURLWithPath: directory.path + "/model.gguf"))
        let started = Date()
        let served = try BatchgateProcess.run(["serve", "--config", file])
        #expect(served.status != 0)
        #expect(Date().timeIntervalSince(started) < 30)
        #expect((served.stdout + served.stderr).contains("architecture 'qwen' is not supported"), "\(served.stderr)")
    }
}
