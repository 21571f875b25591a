import Foundation
import Testing

/// `batchgate bench`: arguments checked before anything is sent, and one end-to-end run against the hidden
/// `bench stub-server` with every report written, then compared with itself.
@Suite("bench CLI")
struct BenchCLITests {
    @Test(
        "Bad arguments exit 64 with a message naming the problem",
        arguments: [
            (["--url", "http://127.0.0.1:9", "--duration", "1s"], "exactly one of --rate"),
            (["--url", "http://127.0.0.1:9", "--rate", "5", "--concurrency", "2", "--duration", "1s"], "exactly one"),
            (["--url", "http://127.0.0.1:9", "--rate", "5"], "--duration or --requests"),
            (["--url", "http://127.0.0.1:9", "--rate", "0", "--duration", "1s"], "--rate must be"),
            (["--url", "ftp://127.0.0.1:9", "--rate", "5", "--duration", "1s"], "http://"),
            (["--url", "http://127.0.0.1:9", "--rate", "5", "--duration", "soon"], "not a duration"),
            (["--url", "http://127.0.0.1:9", "--rate", "5", "--duration", "1s", "--prompt-tokens", "9..3"], "empty"),
            (["--url", "http://127.0.0.1:9", "--sweep"], "--sweep needs --slo"),
            (["--url", "http://127.0.0.1:9", "--sweep", "--slo", "ttft=2s"], "not an objective"),
            (["--url", "http://127.0.0.1:9", "--concurrency", "2", "--requests", "1", "--poisson"], "--poisson needs"),
        ])
    func badArguments(arguments: [String], message: String) throws {
        let result = try BatchgateProcess.run(["bench"] + arguments)
        #expect(result.status == 64, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
    }

    @Test("A closed-loop run against the stub writes JSON, CSV and HTML, and compare reads the JSON back")
    func endToEnd() throws {
        let stub = Process()
        stub.executableURL = try BatchgateProcess.executable()
        stub.arguments = ["bench", "stub-server", "--port", "0", "--for", "60s"]
        let output = Pipe()
        stub.standardOutput = output
        try stub.run()
        defer {
            stub.terminate()
            stub.waitUntilExitQuietly()
        }
        var announced = ""
        while !announced.contains("\n") {
            let data = output.fileHandleForReading.availableData
            guard !data.isEmpty else { break }
            announced += String(decoding: data, as: UTF8.self)
        }
        let port = try #require(
            announced.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-cli-e2e-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let json = directory.appendingPathComponent("run.json").path
        let result = try BatchgateProcess.run([
            "bench", "--url", "http://127.0.0.1:\(port)", "--concurrency", "2", "--requests", "6", "--max-tokens", "3",
            "--prompt-tokens", "8", "--quiet", "--json", json, "--csv",
            directory.appendingPathComponent("run.csv").path,
            "--html", directory.appendingPathComponent("run.html").path,
        ])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("requests 6 completed, 0 failed"), "stdout: \(result.stdout)")
        let report =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        #expect((report?["output_tokens_total"] as? NSNumber)?.intValue == 18)
        #expect((report?["model"] as? String) == "stub")
        let csv = try String(contentsOfFile: directory.appendingPathComponent("run.csv").path, encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 2)
        let html = try String(contentsOfFile: directory.appendingPathComponent("run.html").path, encoding: .utf8)
        #expect(html.contains("<svg"))
        let compared = try BatchgateProcess.run(["bench", "compare", json, json])
        #expect(compared.status == 0 && compared.stdout.contains("goodput"), "stderr: \(compared.stderr)")
        let missing = try BatchgateProcess.run([
            "bench", "compare", json, directory.appendingPathComponent("no.json").path,
        ])
        #expect(missing.status == 1 && missing.stderr.contains("cannot read"))
    }
}

extension BenchCLITests {
    @Test("Ctrl-C stops a long run and prints what was measured")
    func interrupt() throws {
        let stub = Process()
        stub.executableURL = try BatchgateProcess.executable()
        stub.arguments = ["bench", "stub-server", "--port", "0", "--for", "60s"]
        let announcement = Pipe()
        stub.standardOutput = announcement
        try stub.run()
        defer {
            stub.terminate()
            stub.waitUntilExitQuietly()
        }
        let line = String(decoding: announcement.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(line.split(separator: ":").last).trimmingCharacters(in: .whitespacesAndNewlines)
        let bench = Process()
        bench.executableURL = try BatchgateProcess.executable()
        bench.arguments = [
            "bench", "--url", "http://127.0.0.1:\(port)", "--rate", "20", "--duration", "60s", "--max-tokens", "4",
            "--prompt-tokens", "8", "--quiet",
        ]
        let output = Pipe()
        bench.standardOutput = output
        bench.standardError = FileHandle.nullDevice
        let started = Date()
        try bench.run()
        Thread.sleep(forTimeInterval: 2)
        kill(bench.processIdentifier, SIGINT)
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        bench.waitUntilExit()
        #expect(bench.terminationStatus == 0)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(printed.contains("interrupted"), "stdout: \(printed)")
        #expect(!printed.contains("requests 0 completed"), "stdout: \(printed)")
    }
}

extension Process {
    /// Waits for the process to end, ignoring whether it had already ended.
    fileprivate func waitUntilExitQuietly() {
        if isRunning { waitUntilExit() }
    }
}
