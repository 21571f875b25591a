import AsyncHTTPClient
import Basics
import Foundation
import Synchronization

/// Runs one bounded load against the target: open loop (requests due on a schedule, whether or not earlier ones
/// finished) or closed loop (each client sends its next request when its last one ends). Cancelling the task stops
/// the load; what was measured until then is kept.
public struct LoadRunner: Sendable {
    let client: HTTPClient
    let settings: BenchSettings
    let pool: [PreparedRequest]
    let seed: UInt64

    /// A runner sending the requests of `pool` (cycled in order) with `client`.
    public init(client: HTTPClient, settings: BenchSettings, pool: [PreparedRequest], seed: UInt64 = 1) {
        precondition(!pool.isEmpty, "a run needs at least one prepared request")
        self.client = client
        self.settings = settings
        self.pool = pool
        self.seed = seed
    }

    /// Runs until the duration or request count is reached (or the task is cancelled) and every request sent has
    /// ended; returns the measurements.
    public func run() async -> RunResult {
        // One request before the clock starts, not counted: it opens the first connection and wakes the target.
        _ = await StreamingRequest(client: client, settings: settings, origin: .now).run(
            pool[0], request: nil, scheduled: 0)
        // About 40 points on the latency-over-time chart: windows of a fortieth of the run, 0.1 s to 10 s.
        let window = plannedDuration.map { min(max($0.inNanoseconds / 40, 100_000_000), 10_000_000_000) }
        let recorder = RunRecorder(serviceLevels: settings.serviceLevels, windowNanoseconds: window ?? 1_000_000_000)
        let origin = ContinuousClock.now
        let sender = StreamingRequest(client: client, settings: settings, origin: origin)
        let requests = pool.map { try? sender.request($0) }
        await withTaskGroup(of: Void.self) { group in
            if settings.progress {
                group.addTask { await ProgressLine.run(recorder: recorder, origin: origin) }
            }
            switch settings.shape {
            case .rate(let rate, let poisson):
                await openLoop(rate: rate, poisson: poisson, sender: sender, requests: requests, recorder: recorder)
            case .concurrency(let clients):
                await closedLoop(clients: clients, sender: sender, requests: requests, recorder: recorder)
            }
            group.cancelAll()
        }
        if settings.progress { ProgressLine.finish() }
        let stoppedEarly = Task.isCancelled
        return RunResult(
            state: recorder.snapshot(), shape: settings.shape, serviceLevels: settings.serviceLevels,
            interrupted: stoppedEarly, windowSeconds: Double(recorder.windowNanoseconds) / 1e9)
    }

    /// How long the run should send: its duration, or (open loop) as long as its minimum number of requests takes,
    /// up to its longest duration.
    private var plannedDuration: Duration? {
        guard let duration = settings.duration else { return nil }
        guard settings.minimumRequests > 0, let longest = settings.longestDuration,
            case .rate(let rate, _) = settings.shape, rate > 0
        else { return duration }
        return min(max(duration, .seconds(Double(settings.minimumRequests) / rate)), longest)
    }

    private func exhausted(sentCount: Int, dueNanoseconds: Int64) -> Bool {
        if let requests = settings.requests, sentCount >= requests { return true }
        if let duration = settings.duration, dueNanoseconds >= duration.inNanoseconds {
            // Past its duration a run still short of its minimum goes on, up to its longest duration.
            guard sentCount < settings.minimumRequests, let longest = settings.longestDuration,
                dueNanoseconds < longest.inNanoseconds
            else { return true }
        }
        return Task.isCancelled
    }

    private func send(
        _ index: Int, scheduled: Int64, sender: StreamingRequest, requests: [HTTPClient.Request?],
        recorder: RunRecorder
    ) async {
        let prepared = pool[index % pool.count]
        recorder.sending()
        let outcome = await sender.run(prepared, request: requests[index % pool.count], scheduled: scheduled)
        recorder.finished(outcome, promptTokens: prepared.promptTokens, cancelled: Task.isCancelled)
    }

    /// Runs conversation `number`: its turns one after another, each the pooled request's question after the
    /// history so far (every earlier question and the answer it got), `thinkTime` apart. The first turn is due at
    /// `firstDue`, each later one when its think time ends. Every turn claims a request number from `turns`; the
    /// conversation stops when the run is exhausted or a turn fails. Returns whether it ran every turn.
    @discardableResult
    private func converse(
        _ number: Int, _ conversation: Conversation, firstDue: Int64, sender: StreamingRequest,
        turns: RequestCounter, recorder: RunRecorder
    ) async -> Bool {
        var history: [(question: String, answer: String)] = []
        var due = firstDue
        for turn in 0..<conversation.turns {
            guard let claimed = turns.claim(), !exhausted(sentCount: claimed, dueNanoseconds: due) else { return false }
            let base = pool[(number * conversation.turns + turn) % pool.count]
            guard let prepared = try? base.turn(after: history, settings: settings) else { return false }
            recorder.sending()
            let (outcome, answer) = await sender.run(prepared, request: nil, scheduled: due, capturesText: true)
            recorder.finished(
                outcome, promptTokens: turn == 0 ? base.promptTokens : outcome.reportedPromptTokens,
                cancelled: Task.isCancelled)
            guard outcome.failure == nil, !Task.isCancelled else { return false }
            history.append((base.question ?? "", answer))
            if turn + 1 < conversation.turns, conversation.thinkTime > .zero {
                do { try await Task.sleep(for: conversation.thinkTime) } catch { return false }
            }
            due = sender.now()
        }
        return true
    }

    private func openLoop(
        rate: Double, poisson: Bool, sender: StreamingRequest, requests: [HTTPClient.Request?], recorder: RunRecorder
    ) async {
        let gate = InFlightGate(limit: settings.maxInFlight)
        var random = SplitMix64(seed: seed ^ 0x5EED)
        let meanGap = 1e9 / max(rate, 1e-6)
        let turns = RequestCounter()
        let perArrival = settings.conversation?.turns ?? 1
        await withDiscardingTaskGroup { group in
            var index = 0
            var due = 0.0
            while !exhausted(sentCount: index * perArrival, dueNanoseconds: Int64(due)) {
                let dueAt = Int64(due)
                if sender.now() < dueAt {
                    do {
                        try await Task.sleep(until: sender.origin + .nanoseconds(dueAt), clock: .continuous)
                    } catch { break }
                }
                await gate.acquire()
                if Task.isCancelled {
                    gate.release()
                    break
                }
                let number = index
                group.addTask {
                    if let conversation = settings.conversation {
                        await converse(
                            number, conversation, firstDue: dueAt, sender: sender, turns: turns, recorder: recorder)
                    } else {
                        await send(number, scheduled: dueAt, sender: sender, requests: requests, recorder: recorder)
                    }
                    gate.release()
                }
                index += 1
                due += poisson ? random.exponential(mean: meanGap) : meanGap
            }
        }
    }

    private func closedLoop(
        clients: Int, sender: StreamingRequest, requests: [HTTPClient.Request?], recorder: RunRecorder
    ) async {
        let counter = RequestCounter()
        if let conversation = settings.conversation {
            let conversations = RequestCounter()
            await withDiscardingTaskGroup { group in
                for _ in 0..<max(1, clients) {
                    group.addTask {
                        while let number = conversations.claim(), !Task.isCancelled {
                            let complete = await converse(
                                number, conversation, firstDue: sender.now(), sender: sender, turns: counter,
                                recorder: recorder)
                            if !complete && exhausted(sentCount: counter.claimed, dueNanoseconds: sender.now()) {
                                return
                            }
                        }
                    }
                }
            }
            return
        }
        await withDiscardingTaskGroup { group in
            for _ in 0..<max(1, clients) {
                group.addTask {
                    while true {
                        let scheduled = sender.now()
                        guard let index = counter.claim(), !exhausted(sentCount: index, dueNanoseconds: scheduled)
                        else { return }
                        await send(index, scheduled: scheduled, sender: sender, requests: requests, recorder: recorder)
                    }
                }
            }
        }
    }
}

/// Hands out request numbers to the closed-loop clients.
final class RequestCounter: Sendable {
    private let next = Mutex(0)

    /// The next request number.
    func claim() -> Int? {
        next.withLock { value in
            defer { value += 1 }; return value
        }
    }

    /// How many numbers were handed out.
    var claimed: Int { next.withLock { $0 } }
}
