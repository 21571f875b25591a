import BatchgateTestSupport
import Foundation
import Synchronization

/// Runs the real `batchgate` executable that `swift build` put next to the test bundle.
enum BatchgateProcess {
    /// What one run printed and how it ended.
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    struct NotFound: Error, CustomStringConvertible {
        let searched: [String]
        var description: String { "batchgate executable not found; looked in: \(searched.joined(separator: ", "))" }
    }

    /// The executable: `$BATCHGATE_BINARY` if set, else the first `batchgate` found walking up from the test runner
    /// (`.build/<triple>/debug/batchgatePackageTests.xctest` on Linux, `….xctest/Contents/MacOS/…` on macOS).
    static func executable() throws -> URL {
        if let override = ProcessInfo.processInfo.environment["BATCHGATE_BINARY"] {
            return URL(fileURLWithPath: override)
        }
        var starts = [URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()]
        starts += Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }
        var searched: [String] = []
        for start in starts {
            var directory = start.deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("batchgate")
                searched.append(candidate.path)
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory),
                    !isDirectory.boolValue,
                    FileManager.default.isExecutableFile(atPath: candidate.path)
                {
                    return candidate
                }
                directory = directory.deletingLastPathComponent()
            }
        }
        throw NotFound(searched: searched)
    }

    /// Runs `batchgate arguments…`, feeding `input` on standard input, and waits for it to exit.
    /// `run` on a thread of its own (`onOwnThread`), for tests that run long commands.
    static func run(_ arguments: [String], input: String? = nil) async throws -> Result {
        try await onOwnThread { try run(arguments, input: input) }
    }

    static func run(_ arguments: [String], input: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
        }
        try stdin.fileHandleForWriting.close()
        // The outputs are small (well under a pipe buffer), so reading them one after the other cannot deadlock.
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self)
        )
    }
}

/// A temporary directory with a tiny model file (`model.gguf`) and a certificate/key pair, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = (FileManager.default.temporaryDirectory.path as NSString)
            .appendingPathComponent("batchgate-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try Self.tinyModel(), toPath: path + "/model.gguf")
        try Data("-----BEGIN CERTIFICATE-----\n".utf8).write(to: URL(fileURLWithPath: path + "/cert.pem"))
        try Data("-----BEGIN PRIVATE KEY-----\n".utf8).write(to: URL(fileURLWithPath: path + "/key.pem"))
    }

    /// A tiny real model (`batchgate model create` on llama.cpp's llama-spm vocabulary), made once per test run:
    /// `config check` opens model files as the workers will.
    static func tinyModel() throws -> String {
        try made.withLock { made in
            if let made { return made }
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            let vocab = root.appendingPathComponent(".cache/fixtures/ggml-vocab-llama-spm.gguf").path
            let file = (FileManager.default.temporaryDirectory.path as NSString)
                .appendingPathComponent("batchgate-cli-model-\(UUID().uuidString).gguf")
            let created = try BatchgateProcess.run([
                "model", "create", file, "--arch", "llama", "--vocab", vocab, "--dim", "64", "--layers", "1",
                "--heads", "4", "--kv-heads", "2", "--ff", "128", "--context", "256", "--type", "q8_0",
            ])
            guard created.status == 0 else { throw CreateFailed(output: created.stderr) }
            made = file
            return file
        }
    }

    private static let made = Mutex<String?>(nil)

    /// `model create` failed (the vocab fixture missing: run `make fixtures`).
    struct CreateFailed: Error, CustomStringConvertible {
        let output: String
        var description: String { "batchgate model create failed: \(output)" }
    }

    /// Writes `text` to `name` in the directory and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
