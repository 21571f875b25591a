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
        #expect(bert.stderr.contains("(llama, qwen, qwen2, qwen3)"), "\(bert.stderr)")
        #expect(bert.stderr.hasSuffix("1 model in \(file) cannot be served\n"))

        let whole = try Data(contentsOf: URL(fileURLWithPath: try TemporaryDirectory.tinyModel()))
        try whole.prefix(whole.count - 4096).write(to: URL(fileURLWithPath: model))
        let cut = try BatchgateProcess.run(["config", "check", file])
        #expect(cut.status == 1)
        #expect(cut.stderr.contains("models.m.path: "), "\(cut.stderr)")
    }

    @Test(
        "config check accepts the qwen and qwen3 files model create writes; model create refuses what llama.cpp would")
    func qwenModels() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try configuration(in: directory)
        let model = directory.path + "/model.gguf"
        let vocab = URL(fileURLWithPath: try TemporaryDirectory.tinyModel()).path  // any file with a tokenizer
        let sizes = ["--dim", "64", "--layers", "1", "--heads", "4", "--ff", "128", "--context", "256"]
        let accepted: [[String]] = [
            ["--arch", "qwen", "--kv-heads", "4"],
            ["--arch", "qwen3", "--kv-heads", "2", "--head-dim", "32", "--tied"],
            [
                "--arch", "qwen2", "--kv-heads", "2", "--rope-scaling", "yarn", "--rope-scaling-factor", "4",
                "--original-context", "64",
            ],
            ["--arch", "llama", "--kv-heads", "2", "--rope-freqs"],
        ]
        for options in accepted {
            let created = try BatchgateProcess.run(["model", "create", model, "--vocab", vocab] + sizes + options)
            #expect(created.status == 0, "\(options): \(created.stderr)")
            let checked = try BatchgateProcess.run(["config", "check", file])
            #expect(checked.status == 0, "\(options): \(checked.stderr)")
        }
        let refused: [([String], String)] = [
            (["--arch", "qwen", "--kv-heads", "2"], "as many kv heads as heads"),
            (["--arch", "qwen2", "--kv-heads", "2", "--head-dim", "32"], "dim/heads wide"),
            (["--arch", "qwen2", "--kv-heads", "2", "--rope-freqs"], "--rope-freqs is for llama"),
            (["--arch", "gemma3", "--kv-heads", "2"], "llama, qwen, qwen2, qwen3"),
            (["--arch", "llama", "--kv-heads", "2", "--rope-scaling", "ntk"], "none, linear or yarn"),
        ]
        for (options, words) in refused {
            let created = try BatchgateProcess.run(["model", "create", model, "--vocab", vocab] + sizes + options)
            #expect(created.status != 0, "\(options)")
            #expect(created.stderr.contains(words), "\(options): \(created.stderr)")
        }
    }

    /// The tiny model with the type or the row count of its first attention query tensor changed in the header:
    /// the tensor info after the name is the dimension count (u32), the dimensions (u64 each), then the type (u32).
    static func patchedTinyModel(type: UInt32? = nil, rows: UInt64? = nil) throws -> Data {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: try TemporaryDirectory.tinyModel()))
        let name = Data("blk.0.attn_q.weight".utf8)
        let found = try #require(bytes.range(of: name), "no attn_q tensor info")
        let info = found.upperBound
        #expect(bytes[info] == 2, "a matrix has two dimensions")
        if let rows {
            withUnsafeBytes(of: rows.littleEndian) { bytes.replaceSubrange((info + 12)..<(info + 20), with: $0) }
        }
        if let type {
            withUnsafeBytes(of: type.littleEndian) { bytes.replaceSubrange((info + 20)..<(info + 24), with: $0) }
        }
        return bytes
    }

    @Test("config check names a tensor of an unsupported type and one of the wrong shape")
    func tensorTypeAndShape() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try configuration(in: directory)
        let model = URL(fileURLWithPath: directory.path + "/model.gguf")
        // MXFP4 (type 39, which the file reader knows and the kernels do not take) needs 17 bytes per 32 values;
        // the tiny model is Q8_0 (34), so the patched tensor's data stays within the file: only its type is
        // wrong. Type 99 is one the reader does not know at all.
        try Self.patchedTinyModel(type: 39).write(to: model)
        let mxfp4 = try BatchgateProcess.run(["config", "check", file])
        #expect(mxfp4.status == 1)
        #expect(mxfp4.stderr.contains("tensor 'blk.0.attn_q.weight' has unsupported type MXFP4"), "\(mxfp4.stderr)")
        try Self.patchedTinyModel(type: 99).write(to: model)
        let unknown = try BatchgateProcess.run(["config", "check", file])
        #expect(unknown.status == 1)
        #expect(
            unknown.stderr.contains("tensor 'blk.0.attn_q.weight' has unknown or unsupported type 99"),
            "\(unknown.stderr)")
        try Self.patchedTinyModel(rows: 32).write(to: model)
        let shape = try BatchgateProcess.run(["config", "check", file])
        #expect(shape.status == 1)
        #expect(shape.stderr.contains("tensor 'blk.0.attn_q.weight' has shape [64, 32]"), "\(shape.stderr)")
    }

    @Test("serve refuses to start on such a model, at once and with the reason")
    func serveRefuses() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try configuration(in: directory)
        try Self.ggufNamingArchitecture("mamba").write(to: URL(fileURLWithPath: directory.path + "/model.gguf"))
        let started = Date()
        let served = try BatchgateProcess.run(["serve", "--config", file])
        #expect(served.status != 0)
        #expect(Date().timeIntervalSince(started) < 30)
        #expect((served.stdout + served.stderr).contains("architecture 'mamba' is not supported"), "\(served.stderr)")
    }
}
