import Foundation
import LoadGeneratorStub
import Testing

@testable import LoadGenerator

extension TimingAccuracyTests {
    /// When a run measured nothing it was asked for, `batchgate bench` exits 1: the verdict it exits on.
    @Suite("Runs that measured nothing")
    struct Shortfalls {}
}

extension TimingAccuracyTests.Shortfalls {
    @Test("A run whose every request failed (a closed port) falls short; a run against the stub does not")
    func everyRequestFailed() async throws {
        try await StubHarness.withStub { _, client, base in
            var settings = base
            settings.shape = .concurrency(2)
            settings.requests = 4
            let pool = try await StubHarness.pool(client: client, settings: settings, maxTokens: 2)
            let good = await BenchSession.run(client: client, settings: settings, pool: pool, seed: 1)
            #expect(good.requests_completed == 4)
            #expect(good.shortfall == nil)
            var closed = settings
            closed.baseURL = "http://127.0.0.1:1"
            let refused = await BenchSession.run(client: client, settings: closed, pool: pool, seed: 1)
            #expect(refused.requests_failed == 4)
            let shortfall = try #require(refused.shortfall)
            #expect(shortfall.contains("every request failed") && shortfall.contains("connection 4"), "\(shortfall)")
        }
    }

    @Test("A sweep in which no rate met the SLO falls short, with its report complete")
    func noRateWithinSLO() async throws {
        let report = try await StubHarness.withStub { _, client, base in
            var settings = base
            // The stub's first token comes after 50 ms: no step can meet 1 ms.
            settings.serviceLevels = try ServiceLevel.parseList("ttft_p99=1ms")
            let pool = try await StubHarness.pool(client: client, settings: settings, maxTokens: 2)
            return await BenchSession.sweep(
                client: client, settings: settings, pool: pool, seed: 1, stepDuration: .milliseconds(300),
                sweep: Sweep(saturationConcurrency: 4, searchSteps: 0, minimumStepRequests: 2))
        }
        let sweep = try #require(report.sweep)
        #expect(sweep.max_rate_within_slo == nil)
        #expect(sweep.steps.count == 2 && sweep.steps.allSatisfy { !$0.passed })
        #expect(report.requests_completed > 0)
        let shortfall = try #require(report.shortfall)
        #expect(shortfall.contains("no rate met the SLO") && shortfall.contains("ttft_p99=1"), "\(shortfall)")
    }
}
