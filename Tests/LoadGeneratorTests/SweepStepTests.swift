import Foundation
import LoadGeneratorStub
import Testing

@testable import LoadGenerator

extension TimingAccuracyTests {
    /// How the sweep shapes its steps: the drain between them and their minimum number of requests. Nested in the
    /// timing suite so that they run one at a time with the other tests that measure the stub.
    @Suite("Sweep steps")
    struct SweepSteps {}
}

extension TimingAccuracyTests.SweepSteps {
    /// A sweep against a stub that keeps working on requests whose clients gave up (as llama-server does): 4
    /// generations at once, 60 ms each (at most about 66 requests/s), and a 200 ms request timeout. The saturation
    /// step's 64 clients time out and send again and again, so the stub is left with seconds of abandoned work.
    static func backlogSweep(drainLimit: Duration) async throws -> SweepSummary {
        let report = try await StubHarness.withStub(StubBehaviour(capacity: 4)) { _, client, base in
            var settings = base
            settings.timeout = .milliseconds(200)
            settings.serviceLevels = try ServiceLevel.parseList("ttft_p99=150ms")
            let pool = try await StubHarness.pool(client: client, settings: settings, maxTokens: 2)
            return await BenchSession.sweep(
                client: client, settings: settings, pool: pool, seed: 1, stepDuration: .milliseconds(600),
                sweep: Sweep(
                    saturationConcurrency: 64, searchSteps: 0, minimumStepRequests: 3, drainLimit: drainLimit))
        }
        return try #require(report.sweep)
    }

    @Test("After the saturation step the sweep waits for the target's backlog to drain; without the wait it fails")
    func drainAfterSaturation() async throws {
        let drained = try await Self.backlogSweep(drainLimit: .seconds(30))
        try #require(drained.steps.count >= 2)
        let saturation = drained.steps[0]
        let first = drained.steps[1]
        // The saturation step left work behind: its requests timed out.
        #expect(saturation.success_rate < 0.5, "saturation success \(saturation.success_rate)")
        #expect(saturation.drain_s == nil)
        // The wait before the first doubling step lasted until the stub was idle again, and that step then passed.
        let idle = try #require(drained.idle_ttft_ms)
        #expect(idle >= 45 && idle < 150, "idle probe TTFT \(idle) ms")
        #expect(first.drained == true)
        #expect((first.drain_s ?? 0) >= 0.5, "waited \(first.drain_s ?? 0) s for the backlog")
        #expect(first.passed && first.success_rate == 1, "first doubling step: \(first)")
        #expect(drained.max_rate_within_slo != nil)

        // The same sweep without the wait: the first doubling step runs into the saturation step's backlog.
        let undrained = try await Self.backlogSweep(drainLimit: .zero)
        try #require(undrained.steps.count >= 2)
        #expect(undrained.idle_ttft_ms == nil && undrained.steps[1].drain_s == nil)
        #expect(!undrained.steps[1].passed && undrained.steps[1].success_rate < 1, "\(undrained.steps[1])")
    }

    @Test("Each step runs to the minimum number of requests, but no longer than its stretch limit")
    func minimumRequests() async throws {
        let minimum = 10
        let stepSeconds = 0.5
        let stretch = 4
        // 2 generations at once of 80 ms each: about 25 requests/s, so the doubling starts near 3 requests/s, where
        // half a second holds 2 requests and the 2 s limit about 7.
        let report = try await StubHarness.withStub(StubBehaviour(capacity: 2)) { _, client, base in
            var settings = base
            settings.serviceLevels = try ServiceLevel.parseList("ttft_p99=300ms")
            let pool = try await StubHarness.pool(client: client, settings: settings, maxTokens: 4)
            return await BenchSession.sweep(
                client: client, settings: settings, pool: pool, seed: 1, stepDuration: .seconds(stepSeconds),
                sweep: Sweep(
                    saturationConcurrency: 2, searchSteps: 0, minimumStepRequests: minimum, maximumStretch: stretch))
        }
        let sweep = try #require(report.sweep)
        let steps = sweep.steps.filter { $0.rate != nil }
        try #require(steps.count >= 3, "\(sweep.steps.count) steps")
        #expect((sweep.steps[0].requests_sent ?? 0) >= minimum)
        for step in steps {
            let rate = try #require(step.rate)
            // Requests are due every 1/rate s; they are sent while the step's time lasts, or while fewer than the
            // minimum were sent and the stretch limit has not passed.
            let natural = Int((stepSeconds * rate).rounded(.up))
            let capped = Int((stepSeconds * Double(stretch) * rate).rounded(.up))
            let expected = max(natural, min(minimum, capped))
            #expect(step.requests_sent == expected, "at \(rate) req/s")
            #expect((step.duration_s ?? 0) < stepSeconds * Double(stretch) + 1, "at \(rate) req/s")
        }
        // The lowest step could not reach the minimum within its limit; the next ones were stretched to it.
        #expect((steps[0].requests_sent ?? 0) < minimum)
        #expect(steps[1].requests_sent == minimum)
    }
}
