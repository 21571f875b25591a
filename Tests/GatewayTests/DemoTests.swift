import BatchgateTestSupport
import Foundation
import Glibc
import Testing

/// `batchgate serve --demo`, as `make run` starts it, from an empty cache folder.
@Suite("The demo")
struct DemoTests {
    @Test("serve --demo makes its model and certificate, prints a curl line, and that line streams an answer")
    func demo() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let port = try LiveGateway.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: try WorkerSupport.executable())
        server.arguments = [
            "serve", "--demo", "--cache-dir", cache.path, "--port", "\(port)", "--vocab",
            try WorkerSupport.vocabPath("ggml-vocab-qwen2.gguf"),
        ]
        let output = Pipe()
        server.standardOutput = output
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            kill(server.processIdentifier, SIGTERM)
            server.waitUntilExit()
        }
        // Read the banner until its curl line.
        var banner = ""
        let deadline = Date().addingTimeInterval(120)
        while !banner.contains("-d '{"), Date() < deadline, server.isRunning {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            banner += String(decoding: chunk, as: UTF8.self)
        }
        let line = try #require(
            banner.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("curl ") },
            "no curl line in: \(banner)")
        #expect(banner.contains("https://127.0.0.1:\(port)"))
        #expect(FileManager.default.fileExists(atPath: cache.appendingPathComponent("demo/demo-qwen2.gguf").path))
        // The worker may still be loading: the line is run as printed until it streams (a 503 first is fine).
        var answer = ""
        let answerDeadline = Date().addingTimeInterval(60)
        repeat {
            let shell = Process()
            shell.executableURL = URL(fileURLWithPath: "/bin/sh")
            shell.arguments = ["-c", String(line) + " 2>/dev/null"]
            let pipe = Pipe()
            shell.standardOutput = pipe
            try shell.run()
            answer = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            shell.waitUntilExit()
            if answer.contains("data: [DONE]") { break }
            usleep(200_000)
        } while Date() < answerDeadline
        #expect(answer.hasPrefix("data: {"), "\(answer)")
        #expect(answer.contains(#""object":"chat.completion.chunk""#))
        #expect(answer.hasSuffix("data: [DONE]\n\n"))
    }
}
