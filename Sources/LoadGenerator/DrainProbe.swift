import AsyncHTTPClient
import Foundation

/// How the wait for the target to drain between two sweep steps went.
public struct DrainOutcome: Sendable, Equatable {
    /// How long the sweep waited.
    public var waited: Duration
    /// Whether the target came back near its idle time to first token; false when the wait reached its limit (or
    /// was cancelled) first.
    public var drained: Bool

    /// Creates an outcome.
    public init(waited: Duration, drained: Bool) {
        self.waited = waited
        self.drained = drained
    }
}

/// Tells when the target has worked off what earlier load left queued on it (requests the generator gave up on that
/// the server still runs, a closed loop's full queue): one small request at a time (a pooled prompt with
/// `max_tokens` 1), whose time to first token is compared with the same probe's on the idle target.
struct DrainProbe: Sendable {
    let client: HTTPClient
    let settings: BenchSettings
    let request: PreparedRequest
    /// The pause after a probe that found the target still busy.
    var pause: Duration = .milliseconds(500)

    /// A probe sending `prompt` with `max_tokens` 1.
    init(client: HTTPClient, settings: BenchSettings, prompt: PreparedRequest) {
        self.client = client
        self.settings = settings
        request = prompt.limited(toTokens: 1)
    }

    /// The drained mark for an idle time to first token: twice it plus 50 ms, so that a target with nothing queued
    /// passes despite ordinary jitter, while one still working off a backlog (whose probe waits behind it) does not.
    static func threshold(idle: Duration) -> Duration { idle * 2 + .milliseconds(50) }

    /// Time to first token of one probe, or nil when it failed or took longer than `timeout`.
    func probe(timeout: Duration) async -> Duration? {
        var bounded = settings
        bounded.timeout = timeout
        let outcome = await StreamingRequest(client: client, settings: bounded, origin: .now).run(
            request, request: nil, scheduled: 0)
        guard outcome.failure == nil else { return nil }
        return .nanoseconds((outcome.firstToken ?? outcome.end) - outcome.sent)
    }

    /// The idle time to first token: the slowest of `count` probes, or nil when none succeeded. The slowest, not the
    /// fastest: a server that caches prompts answers the repeats of the probe's prompt from its cache, and a later
    /// probe whose prompt has left that cache must still count as drained.
    func idleTimeToFirstToken(count: Int = 3) async -> Duration? {
        var slowest: Duration?
        for _ in 0..<count where !Task.isCancelled {
            if let measured = await probe(timeout: settings.timeout) { slowest = max(slowest ?? measured, measured) }
        }
        return slowest
    }

    /// Probes until one answers within the threshold of `idle` (any successful probe when `idle` is unknown), for
    /// at most `limit`; each probe is bounded by what is left of it.
    func waitForDrain(idle: Duration?, limit: Duration) async -> DrainOutcome {
        let start = ContinuousClock.now
        while !Task.isCancelled {
            let left = limit - (ContinuousClock.now - start)
            guard left > .zero else { break }
            if let measured = await probe(timeout: min(settings.timeout, left)),
                idle.map({ measured <= Self.threshold(idle: $0) }) ?? true
            {
                return DrainOutcome(waited: ContinuousClock.now - start, drained: true)
            }
            let rest = limit - (ContinuousClock.now - start)
            guard rest > .zero else { break }
            try? await Task.sleep(for: min(pause, rest))
        }
        return DrainOutcome(waited: ContinuousClock.now - start, drained: false)
    }
}
