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
        let stub = try StubProcess.start()
        defer { stub.stop() }
        let port = stub.port
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
        // Columns are named by the files' names, whole however long.
        let baseline = directory.appendingPathComponent("baseline-of-a-rather-long-report-name.json").path
        try FileManager.default.copyItem(atPath: json, toPath: baseline)
        let named = try BatchgateProcess.run(["bench", "compare", baseline, json])
        let header = named.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(named.status == 0, "stderr: \(named.stderr)")
        #expect(header.contains(" baseline-of-a-rather-long-report-name ") && header.contains(" run "), "\(header)")
        let missing = try BatchgateProcess.run([
            "bench", "compare", json, directory.appendingPathComponent("no.json").path,
        ])
        #expect(missing.status == 1 && missing.stderr.contains("cannot read"))
    }
}

extension BenchCLITests {
    @Test("Ctrl-C stops a long run and prints what was measured")
    func interrupt() throws {
        let stub = try StubProcess.start()
        defer { stub.stop() }
        let port = stub.port
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

extension BenchCLITests {
    @Test("Every request failing (a closed port) exits 1, after printing and writing the report")
    func everyRequestFailed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let prompts = try directory.write("prompts.jsonl", #"{"prompt": "hello there"}"# + "\n")
        let json = directory.path + "/refused.json"
        let result = try BatchgateProcess.run([
            "bench", "--url", "http://127.0.0.1:1", "--model", "m", "--prompts", prompts, "--concurrency", "1",
            "--requests", "3", "--quiet", "--json", json,
        ])
        #expect(result.status == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("every request failed"), "stderr: \(result.stderr)")
        #expect(result.stdout.contains("requests 0 completed, 3 failed"), "stdout: \(result.stdout)")
        let report =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        #expect((report?["errors"] as? [String: Int]) == ["connection": 3])
    }

    @Test("A sweep that finds no rate within the SLO exits 1, with its report written")
    func sweepFindsNoRate() throws {
        let stub = try StubProcess.start()
        defer { stub.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let json = directory.path + "/sweep.json"
        // The stub's first token comes after 50 ms: no rate meets 1 ms.
        let result = try BatchgateProcess.run([
            "bench", "--url", "http://127.0.0.1:\(stub.port)", "--sweep", "--slo", "ttft_p99=1ms", "--step-duration",
            "300ms", "--min-step-requests", "2", "--max-tokens", "2", "--prompt-tokens", "8", "--quiet", "--json", json,
        ])
        #expect(result.status == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("no rate met the SLO"), "stderr: \(result.stderr)")
        let report =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let sweep = try #require(report?["sweep"] as? [String: Any])
        let steps = try #require(sweep["steps"] as? [[String: Any]])
        #expect(steps.count >= 2 && steps.allSatisfy { ($0["passed"] as? Bool) == false })
        #expect(sweep["max_rate_within_slo"] == nil || sweep["max_rate_within_slo"] is NSNull)
        #expect((report?["requests_completed"] as? Int ?? 0) > 0)
    }
}

/// The hidden `batchgate bench stub-server` on a free port of loopback, for the runs above.
struct StubProcess {
    let process: Process
    /// The port it announced.
    let port: String

    /// Starts it and waits for its "listening on 127.0.0.1:PORT" line.
    static func start() throws -> StubProcess {
        let stub = Process()
        stub.executableURL = try BatchgateProcess.executable()
        stub.arguments = ["bench", "stub-server", "--port", "0", "--for", "60s"]
        let output = Pipe()
        stub.standardOutput = output
        try stub.run()
        var announced = ""
        while !announced.contains("\n") {
            let data = output.fileHandleForReading.availableData
            guard !data.isEmpty else { break }
            announced += String(decoding: data, as: UTF8.self)
        }
        let port = announced.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard let port, Int(port) != nil else {
            stub.terminate()
            stub.waitUntilExit()
            throw StubNotStarted(output: announced)
        }
        return StubProcess(process: stub, port: port)
    }

    /// Stops it and waits for it to end.
    func stop() {
        process.terminate()
        if process.isRunning { process.waitUntilExit() }
    }

    struct StubNotStarted: Error, CustomStringConvertible {
        let output: String
        var description: String { "bench stub-server did not announce its port: \(output)" }
    }
}
