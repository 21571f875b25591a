import AsyncHTTPClient
import Basics
import NIOCore
import NIOPosix
import Synchronization

/// Ties a run together: the HTTP client, the request pool, one run or a sweep, and the report.
public enum BenchSession {
    /// The HTTP client runs use (async-http-client's).
    public typealias Client = HTTPClient

    /// An HTTP client for load: HTTP/1.1 connections up to `connections` per host (so requests never queue inside
    /// the client unseen), no redirects; `insecure` accepts any TLS certificate.
    public static func makeClient(insecure: Bool, connections: Int) -> HTTPClient {
        var configuration =
            insecure
            ? HTTPClient.Configuration(
                certificateVerification: .none, redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)))
            : HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)))
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        // A refused connection is an error to count, not something to retry until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// One run with `settings`, as a report.
    public static func run(client: HTTPClient, settings: BenchSettings, pool: [PreparedRequest], seed: UInt64) async
        -> BenchReport
    {
        await LoadRunner(client: client, settings: settings, pool: pool, seed: seed).run().report(settings: settings)
    }

    /// A sweep whose steps each last `stepDuration`, stretched to the sweep's minimum number of requests; between
    /// steps it waits for the target to drain (see `Sweep`). The report's top level is the best passing step (or the
    /// saturation step when none passed), with every step under `sweep`.
    public static func sweep(
        client: HTTPClient, settings: BenchSettings, pool: [PreparedRequest], seed: UInt64, stepDuration: Duration,
        sweep: Sweep = Sweep()
    ) async -> BenchReport {
        // The idle target's time to first token, before any load: what the drain between steps waits to get back to.
        let probe = DrainProbe(client: client, settings: settings, prompt: pool[0])
        let idle = sweep.drainLimit > .zero ? await probe.idleTimeToFirstToken() : nil
        var drain: Sweep.Drain?
        if sweep.drainLimit > .zero {
            drain = { await probe.waitForDrain(idle: idle, limit: sweep.drainLimit) }
        }
        // Each step continues through the pool where the last one stopped, so that no prompt is sent twice before
        // the pool runs out: a server that keeps recent prompts (llama-server reuses a slot's last prompt) would
        // otherwise answer the repeats from its cache, and the sweep would measure that cache.
        let offset = Mutex(0)
        let found = await sweep.run(
            step: { shape in
                var step = settings
                step.shape = shape
                step.duration = stepDuration
                step.requests = nil
                step.minimumRequests = sweep.minimumStepRequests
                step.longestDuration = stepDuration * sweep.maximumStretch
                let start = offset.withLock { $0 }
                let rotated = Array(pool[start...] + pool[..<start])
                let result = await LoadRunner(client: client, settings: step, pool: rotated, seed: seed).run()
                offset.withLock { $0 = (start + result.state.sent + 1) % pool.count }
                return result
            }, drain: drain)
        let best =
            found.steps.last { $0.step.passed && $0.step.rate == found.maxRate && $0.step.rate != nil }
            ?? found.steps[0]
        var stepSettings = settings
        stepSettings.shape = best.result.shape
        var report = best.result.report(settings: stepSettings)
        report.interrupted = found.steps.contains { $0.result.interrupted }
        report.sweep = SweepSummary(
            slo: settings.serviceLevels.map(\.description), saturation_throughput: found.saturation,
            idle_ttft_ms: idle.map { $0.inSeconds * 1000 }, max_rate_within_slo: found.maxRate,
            steps: found.steps.map(\.step))
        return report
    }
}

extension BenchSession {
    /// Makes the HTTP client's event-loop threads Swift Concurrency's global executor (for this process, once),
    /// so that a request's task and its connection no longer wake each other across two thread pools: a large part
    /// of the generator's CPU at thousands of requests per second. Call it from the main thread before the load.
    /// Returns whether it took effect.
    @discardableResult
    public static func runTasksOnEventLoops() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// The first model id the target's `GET /v1/models` lists.
    public static func firstModel(client: HTTPClient, settings: BenchSettings) async throws -> String {
        try await BenchHTTP.firstModel(client, settings: settings)
    }
}
