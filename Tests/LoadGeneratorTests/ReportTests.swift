import Foundation
import LoadGeneratorStub
import Testing

@testable import LoadGenerator

extension TimingAccuracyTests {
    /// The reports, rendered from real runs; nested here so that they run one at a time with the timing tests.
    @Suite("Reports from real runs")
    struct Reports {}
}

extension TimingAccuracyTests.Reports {
    /// A short real run against the stub, with a sweep summary made from two more short runs.
    static func sampleReport() async throws -> BenchReport {
        try await StubHarness.withStub(StubBehaviour(capacity: 4)) { _, client, base in
            var settings = base
            settings.shape = .rate(20, poisson: true)
            settings.duration = .seconds(2)
            settings.serviceLevels = try ServiceLevel.parseList("ttft_p99=200ms,tpot_p99=50ms")
            let pool = try await StubHarness.pool(
                client: client, settings: settings, promptTokens: "16..48", maxTokens: 8)
            return await BenchSession.sweep(
                client: client, settings: settings, pool: pool, seed: 1, stepDuration: .milliseconds(700),
                sweep: Sweep(saturationConcurrency: 8, searchSteps: 1, precision: 0.5, minimumStepRequests: 5))
        }
    }

    @Test("The JSON report validates against Docs/bench-report.schema.json, and a broken one does not")
    func jsonSchema() async throws {
        let report = try await Self.sampleReport()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(report), as: UTF8.self)
        let schemaPath = StubHarness.repositoryRoot.appendingPathComponent("Docs/bench-report.schema.json").path
        let checker = try JSONSchemaChecker(schema: String(contentsOfFile: schemaPath, encoding: .utf8))
        let value = try JSONValue.parse(json)
        #expect(checker.violations(of: value) == [])
        for key in [
            "requests_completed", "requests_failed", "duration_s", "output_tokens_total", "request_throughput",
            "output_token_throughput", "goodput",
        ] {
            #expect(value[key]?.number != nil, "\(key)")
        }
        for metric in ["ttft_ms", "tpot_ms", "itl_ms", "e2e_ms"] {
            for key in ["p50", "p90", "p95", "p99", "p99_9", "mean", "max"] {
                #expect(value[metric]?[key]?.number != nil, "\(metric).\(key)")
            }
        }
        guard case .object(var members) = value else { return }
        members["goodput"] = nil
        members["surprise"] = .string("x")
        let problems = checker.violations(of: .object(members))
        #expect(problems.contains { $0.contains("goodput") } && problems.contains { $0.contains("surprise") })
        let decoded = try JSONDecoder().decode(BenchReport.self, from: Data(json.utf8))
        #expect(decoded == report)
        #expect(ReportComparison.render(report, decoded, names: ("a", "b")).contains("goodput"))
        let csv = ReportCSV.render(report).split(separator: "\n")
        #expect(csv.count == 1 + (report.sweep?.steps.count ?? 0))
        #expect(
            csv.allSatisfy {
                $0.split(separator: ",", omittingEmptySubsequences: false).count == csv[0].split(separator: ",").count
            })
    }

    @Test("The HTML report renders its charts in headless Chromium")
    func htmlInChromium() async throws {
        let report = try await Self.sampleReport()
        let html = ReportHTML.render(report)
        #expect(html.components(separatedBy: "<svg").count - 1 == 4)
        #expect(!html.contains("<script") && !html.contains("src=\""))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-html-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let page = directory.appendingPathComponent("report.html")
        let shot = directory.appendingPathComponent("report.png")
        try html.write(to: page, atomically: true, encoding: .utf8)
        let browser = try #require(
            ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            },
            "headless Chromium is needed (make test installs Debian's chromium)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,1500",
            "--user-data-dir=\(directory.appendingPathComponent("profile").path)",
            "--screenshot=\(shot.path)", page.absoluteString,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let png = try Data(contentsOf: shot)
        // A PNG of the requested size; a page of charts compresses far worse than a blank one (about 5 KB).
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        let height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 1400 && height == 1500)
        #expect(png.count > 40_000, "screenshot of \(png.count) bytes")
        if let keep = ProcessInfo.processInfo.environment["BENCH_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(at: shot, to: URL(fileURLWithPath: keep))
        }
        try? FileManager.default.removeItem(at: directory)
    }

    @Test("Failures are counted by kind and kept out of latency; cancelling keeps what was measured")
    func failuresAndCancel() async throws {
        try await StubHarness.withStub { _, client, base in
            var settings = base
            settings.shape = .concurrency(2)
            settings.requests = 6
            let pool = try await StubHarness.pool(client: client, settings: settings, maxTokens: 2)
            var missing = settings
            missing.baseURL += "/nowhere"
            let notFound = await BenchSession.run(client: client, settings: missing, pool: pool, seed: 1)
            #expect(notFound.errors == ["http_404": 6] && notFound.requests_completed == 0)
            #expect(notFound.ttft_ms.count == 0 && notFound.success_rate == 0)
            var closed = settings
            closed.baseURL = "http://127.0.0.1:1"
            let refused = await BenchSession.run(client: client, settings: closed, pool: pool, seed: 1)
            #expect(refused.errors == ["connection": 6])

            var longer = settings
            longer.requests = nil
            longer.duration = .seconds(30)
            let long = longer
            let started = ContinuousClock.now
            let interrupted = await withTaskGroup(of: BenchReport?.self) { group in
                group.addTask { await BenchSession.run(client: client, settings: long, pool: pool, seed: 1) }
                group.addTask {
                    try? await Task.sleep(for: .seconds(1))
                    return nil
                }
                var report: BenchReport?
                while let next = await group.next() {
                    if let next { report = next } else { group.cancelAll() }
                }
                return report
            }
            let report = try #require(interrupted)
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(report.interrupted && report.requests_completed > 0 && report.requests_failed == 0)
        }
    }
}

extension TimingAccuracyTests.Reports {
    @Test("Chat requests stream through the chat endpoint; Poisson arrivals keep the asked mean rate")
    func chatAndPoisson() async throws {
        try await StubHarness.withStub { _, client, base in
            var settings = base
            settings.endpoint = .chat
            settings.shape = .concurrency(2)
            settings.requests = 4
            let pool = try await StubHarness.pool(client: client, settings: settings, maxTokens: 3)
            let chat = await BenchSession.run(client: client, settings: settings, pool: pool, seed: 1)
            #expect(chat.requests_completed == 4 && chat.output_tokens_total == 12 && chat.endpoint == "chat")
            #expect(chat.prompt_tokens_total == 4 * 32)

            settings.endpoint = .completions
            settings.requests = nil
            settings.duration = .seconds(2)
            settings.shape = .rate(100, poisson: true)
            let poisson = await BenchSession.run(client: client, settings: settings, pool: pool, seed: 5)
            // 200 arrivals expected; a Poisson count stays within about 3 standard deviations (±42) of it.
            #expect((158...242).contains(poisson.requests_sent), "\(poisson.requests_sent) requests in 2 s")
            #expect(poisson.requests_failed == 0)
        }
    }
}
