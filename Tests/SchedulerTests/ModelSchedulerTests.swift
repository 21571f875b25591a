import Scheduler
import Synchronization
import Testing
import Worker
import WorkerProtocol

/// The scheduler's runtime with in-process fake workers: streams, cancellation, overload, timeouts, worker
/// deaths, unavailability and shutdown.
@Suite struct ModelSchedulerTests {
    func scheduler(
        _ worker: FakeWorker, limits: SchedulerLimits = SchedulerLimits(), workers: Int = 1
    ) -> ModelScheduler {
        ModelScheduler(
            model: "fake", limits: limits, workers: workers,
            launcher: InProcessWorkerLauncher { _ in worker.link },
            restartBackoff: .milliseconds(10)...(.milliseconds(50)),
            tickInterval: .milliseconds(10))
    }

    @Test("A request streams its tokens, then exactly one finish with its usage")
    func streamsTokensThenFinish() async throws {
        let worker = FakeWorker()
        let scheduler = scheduler(worker)
        let prompt: [Int32] = [5, 6, 7, 8]
        let (tokens, finish) = try await withRunning(scheduler) {
            await collect(try scheduler.submit(request(prompt, maxTokens: 12)))
        }
        #expect(tokens == FakeEngine.expectedTokens(prompt: prompt, maxTokens: 12, ignoreEOS: true))
        #expect(finish?.reason == .length)
        #expect(finish?.promptTokens == 4)
        #expect(finish?.completionTokens == 12)
        #expect(finish?.queueTime != nil)
        #expect(worker.violations.isEmpty)
    }

    @Test("A client that goes away is cancelled and its sequence released at the next step")
    func cancelledReaderIsReleased() async throws {
        let worker = FakeWorker(stepDelay: .milliseconds(5))
        let scheduler = scheduler(worker)
        try await withRunning(scheduler) {
            let stream = try scheduler.submit(request([1, 2, 3], maxTokens: 10_000))
            let tokens = Atomic<Int>(0)
            let reader = Task {
                for await event in stream {
                    if case .token = event { tokens.add(1, ordering: .relaxed) }
                }
            }
            #expect(await eventually { tokens.load(ordering: .relaxed) >= 3 })
            // The gateway cancels the handler's task when its client disconnects.
            reader.cancel()
            await reader.value
            #expect(await eventually { scheduler.snapshot.running == 0 })
            // The release rides on the next step (the next request's), and the fake engine then holds only that one.
            _ = await collect(try scheduler.submit(request([9], maxTokens: 2)))
            #expect(worker.held == 1)
            #expect(worker.violations.isEmpty)
        }
    }

    @Test("An explicit cancel ends a waiting request with cancelled")
    func cancelWhileWaiting() async throws {
        let worker = FakeWorker(stepDelay: .milliseconds(5))
        let scheduler = scheduler(worker, limits: SchedulerLimits(maxRunning: 1))
        try await withRunning(scheduler) {
            let first = try scheduler.submit(request([1, 2], maxTokens: 50))
            let second = try scheduler.submit(request([3, 4], maxTokens: 50))
            #expect(await eventually { scheduler.snapshot.running == 1 && scheduler.snapshot.waiting == 1 })
            scheduler.cancel(second.id)
            let cancelled = await collect(second)
            #expect(cancelled.tokens.isEmpty)
            #expect(cancelled.finish?.reason == .cancelled)
            #expect(await collect(first).finish?.reason == .length)
        }
    }

    @Test("A full queue refuses at once with a retry-after estimate")
    func fullQueueRefuses() async throws {
        let worker = FakeWorker(stepDelay: .milliseconds(20))
        let scheduler = scheduler(worker, limits: SchedulerLimits(maxRunning: 1, maxQueue: 2))
        try await withRunning(scheduler) {
            let running = try scheduler.submit(request([1], maxTokens: 20))
            #expect(await eventually { scheduler.snapshot.running == 1 })
            let waiting = [
                try scheduler.submit(request([2], maxTokens: 1)), try scheduler.submit(request([3], maxTokens: 1)),
            ]
            let refused = refusal(scheduler, request([4], maxTokens: 1))
            #expect(refused?.code == .queueFull)
            #expect(refused?.httpStatus == 503)
            #expect((refused?.retryAfter ?? .zero) >= .seconds(1))
            // Nothing admitted was lost.
            #expect(await collect(running).finish?.reason == .length)
            for stream in waiting { #expect(await collect(stream).finish?.completionTokens == 1) }
        }
    }

    @Test("A request that waits past the queue timeout is refused with queue_timeout")
    func queueTimeout() async throws {
        let worker = FakeWorker(stepDelay: .milliseconds(10))
        let limits = SchedulerLimits(maxRunning: 1, queueTimeout: .milliseconds(100))
        let scheduler = scheduler(worker, limits: limits)
        try await withRunning(scheduler) {
            let long = try scheduler.submit(request([1], maxTokens: 40))
            #expect(await eventually { scheduler.snapshot.running == 1 })
            let late = await collect(try scheduler.submit(request([2], maxTokens: 1)))
            #expect(late.tokens.isEmpty)
            guard case .error(let error) = late.finish?.reason else {
                Issue.record("expected a queue timeout, got \(String(describing: late.finish))")
                return
            }
            #expect(error.code == .queueTimeout)
            #expect(await collect(long).finish?.reason == .length)
        }
    }

    @Test("Prompts too long for the context are refused before queueing")
    func contextLengthRefused() async throws {
        let worker = FakeWorker(kvBlocks: 8, blockSize: 16)
        let scheduler = scheduler(worker)
        try await withRunning(scheduler) {
            #expect(await eventually { scheduler.snapshot.liveWorkers == 1 })
            let refused = refusal(scheduler, request(Array(repeating: 5, count: 120), maxTokens: 20))
            #expect(refused != nil, "a prompt over the KV capacity was accepted")
            #expect(refused?.code == .contextLengthExceeded)
            #expect(refused?.httpStatus == 400)
            let emptyRefused = refusal(scheduler, request([], maxTokens: 20))
            #expect(emptyRefused != nil, "an empty prompt was accepted")
            #expect(emptyRefused?.code == .invalidRequest)
        }
    }

    @Test("When a worker dies, its streams continue on the restarted worker with the same tokens")
    func workerDeathRecomputes() async throws {
        // The first incarnation dies after 6 steps; the restarted one lives.
        let incarnations = Atomic<Int>(0)
        let scheduler = ModelScheduler(
            model: "fake", limits: SchedulerLimits(), workers: 1,
            launcher: InProcessWorkerLauncher { _ in
                let n = incarnations.add(1, ordering: .relaxed).newValue
                return FakeWorker(dieAfterSteps: n == 1 ? 6 : nil).link
            }, restartBackoff: .milliseconds(10)...(.milliseconds(50)), tickInterval: .milliseconds(10))
        let prompts: [[Int32]] = (0..<8).map { i in [Int32(10 + i), 20, 30] }
        let results = try await withRunning(scheduler) {
            try await withThrowingTaskGroup(of: (Int, [Int32], GenerationFinish?).self) { group in
                for (i, prompt) in prompts.enumerated() {
                    let stream = try scheduler.submit(request(prompt, maxTokens: 16))
                    group.addTask {
                        let (tokens, finish) = await collect(stream)
                        return (i, tokens, finish)
                    }
                }
                var all: [(Int, [Int32], GenerationFinish?)] = []
                for try await result in group { all.append(result) }
                return all
            }
        }
        #expect(incarnations.load(ordering: .relaxed) == 2)
        #expect(scheduler.snapshot.workerRestarts == 1)
        for (i, tokens, finish) in results {
            #expect(tokens == FakeEngine.expectedTokens(prompt: prompts[i], maxTokens: 16, ignoreEOS: true))
            #expect(finish?.reason == .length)
            #expect((finish?.recomputations ?? 0) >= 1)
        }
    }

    @Test("With no live worker past the grace period, requests get model_unavailable")
    func modelUnavailable() async throws {
        struct CannotStart: Error {}
        let scheduler = ModelScheduler(
            model: "fake", limits: SchedulerLimits(unavailableGrace: .milliseconds(200)), workers: 1,
            launcher: InProcessWorkerLauncher { _ in throw CannotStart() },
            restartBackoff: .milliseconds(10)...(.milliseconds(50)), tickInterval: .milliseconds(10))
        try await withRunning(scheduler) {
            // Within the grace period a request waits; past it, it fails with a clear error.
            let waiting = await collect(try scheduler.submit(request([1], maxTokens: 1)))
            guard case .error(let error) = waiting.finish?.reason else {
                Issue.record("expected model_unavailable, got \(String(describing: waiting.finish))")
                return
            }
            #expect(error.code == .modelUnavailable)
            let refused = refusal(scheduler, request([1], maxTokens: 1))
            #expect(refused != nil, "accepted a request with no live worker past the grace period")
            #expect(refused?.code == .modelUnavailable)
            #expect(refused?.httpStatus == 503)
        }
    }

    @Test("Shutdown refuses new requests, lets running ones finish, then run() returns")
    func gracefulShutdown() async throws {
        let worker = FakeWorker(stepDelay: .milliseconds(2))
        let scheduler = scheduler(worker)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await scheduler.run() }
            let streams = try (0..<4).map { i in try scheduler.submit(request([Int32(i + 1)], maxTokens: 30)) }
            #expect(await eventually { scheduler.snapshot.running == 4 })
            scheduler.beginShutdown()
            let refused = refusal(scheduler, request([1], maxTokens: 1))
            #expect(refused != nil, "accepted a request while shutting down")
            #expect(refused?.code == .shuttingDown)
            for stream in streams { #expect(await collect(stream).finish?.completionTokens == 30) }
            // run() returns by itself once drained.
            try await group.next()
        }
    }

    @Test("A higher-priority request is served before earlier lower-priority ones")
    func priorityOrder() async throws {
        let worker = FakeWorker(stepDelay: .milliseconds(5))
        let scheduler = scheduler(worker, limits: SchedulerLimits(maxRunning: 1))
        try await withRunning(scheduler) {
            let first = try scheduler.submit(request([1], maxTokens: 10))
            #expect(await eventually { scheduler.snapshot.running == 1 })
            let low = try scheduler.submit(request([2], maxTokens: 1, tenant: "low", priority: 0))
            let high = try scheduler.submit(request([3], maxTokens: 1, tenant: "high", priority: 5))
            _ = await collect(first)
            let highFinish = await collect(high).finish
            let lowFinish = await collect(low).finish
            #expect((highFinish?.queueTime ?? .zero) < (lowFinish?.queueTime ?? .zero))
        }
    }
}
