import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import WorkerProtocol

/// The batching scheduler of one model: takes validated requests, runs one step loop per worker through
/// its `WorkerLink`, supervises the workers (restart with exponential back-off, recomputation of a dead
/// worker's sequences), and streams tokens back. A `Service`: `run()` lives as long as the gateway; on
/// graceful shutdown it refuses new requests and returns once every held request has finished.
///
/// Isolation: all scheduling state is one `SchedulerCore` behind a `Mutex`, since no state change waits. Each event
/// runs under the lock and its actions are resolved there (the streams and step loops they reach); stream
/// continuations are resumed and step loops woken outside it.
public final class ModelScheduler: Service, Sendable {
    /// The model's name.
    public let model: String
    private let launcher: any WorkerLauncher
    private let workerCount: Int
    private let logger: Logger
    private let metrics: SchedulerMetrics
    private let restartBackoff: ClosedRange<Duration>
    private let tickInterval: Duration
    private let epoch = ContinuousClock.now

    private struct State: ~Copyable {
        var core: SchedulerCore
        var streams: [UInt64: AsyncStream<GenerationEvent>.Continuation] = [:]
        var wakers: [AsyncStream<Void>.Continuation?]
        var links: [(any WorkerLink)?]
        var restarts = 0
        /// Why the last worker could not start (`WorkerStartFailure`), until a worker says hello.
        var startFailure: String?
        /// The step observers of the held requests that have one (`GenerationRequest.stepObserver`).
        var observers: [UInt64: any GenerationStepObserver] = [:]
    }
    private let state: Mutex<State>

    /// A scheduler for `model` with `workers` workers started by `launcher`.
    public init(
        model: String, limits: SchedulerLimits, workers: Int, launcher: any WorkerLauncher,
        logger: Logger = Logger(label: "batchgate.scheduler"),
        restartBackoff: ClosedRange<Duration> = .milliseconds(100)...(.seconds(10)),
        tickInterval: Duration = .milliseconds(50),
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.model = model
        self.launcher = launcher
        workerCount = max(1, workers)
        var logger = logger
        logger[metadataKey: "model"] = "\(model)"
        self.logger = logger
        metrics = SchedulerMetrics(model: model, workers: workerCount, factory: metricsFactory ?? MetricsSystem.factory)
        self.restartBackoff = restartBackoff
        self.tickInterval = tickInterval
        var limits = limits
        limits.maxStepBytes = min(limits.maxStepBytes, launcher.maxStepBytes)
        state = Mutex(
            State(
                core: SchedulerCore(limits: limits, workerCount: workerCount),
                wakers: Array(repeating: nil, count: workerCount), links: Array(repeating: nil, count: workerCount)))
    }

    private var now: Duration { ContinuousClock.now - epoch }

    // MARK: Toward the gateway

    /// Queues `request`, or throws at once when it is refused (queue full, no live worker past the grace
    /// period, too long for the context, shutting down). The stream ends with exactly one `.finished`.
    public func submit(_ request: GenerationRequest) throws(SchedulerError) -> GenerationStream {
        let (events, continuation) = AsyncStream.makeStream(of: GenerationEvent.self)
        let moment = now
        let (id, effects) = try state.withLock { (state) throws(SchedulerError) -> (UInt64, Effects) in
            let (id, actions) = try state.core.submit(request, at: moment)
            state.streams[id] = continuation
            if let observer = request.stepObserver { state.observers[id] = observer }
            return (id, Effects(actions, in: &state))
        }
        continuation.onTermination = { [weak self] termination in
            if case .cancelled = termination { self?.cancel(id) }
        }
        perform(effects)
        return GenerationStream(id: id, events: events)
    }

    /// Cancels request `id` (its client went away): it leaves the queue, or is released at the next step.
    public func cancel(_ id: UInt64) {
        let effects = state.withLock { state in Effects(state.core.cancel(id), in: &state) }
        perform(effects)
    }

    /// What the scheduler holds right now.
    public var snapshot: SchedulerSnapshot {
        state.withLock { state in
            SchedulerSnapshot(
                waiting: state.core.waitingCount, running: state.core.runningCount,
                liveWorkers: (0..<workerCount).filter { state.core.isLive($0) }.count, workers: workerCount,
                kvBlocksFree: (0..<workerCount).map { state.core.isLive($0) ? state.core.kvBlocksFree(on: $0) : 0 },
                preemptions: state.core.preemptions, workerRestarts: state.restarts, startFailure: state.startFailure)
        }
    }

    /// Whether a new request would be refused now for want of room (queue full, no live worker, draining).
    public var refusesForCapacity: Bool {
        let moment = now
        return state.withLock { $0.core.refusesForCapacity(at: moment) }
    }

    /// The current link of worker `index` (nil while it is down), for tests and diagnostics.
    public func link(ofWorker index: Int) -> (any WorkerLink)? {
        state.withLock { $0.links[index] }
    }

    /// Refuses new requests from now on; held ones run to their end, then `run()` returns.
    public func beginShutdown() {
        state.withLock { $0.core.beginDraining() }
    }

    // MARK: Service

    /// Starts the workers and runs until graceful shutdown has drained every request, or until cancelled.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<workerCount {
                    group.addTask { await self.supervise(worker: index) }
                }
                await self.housekeeping()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.beginShutdown()
        }
        let leftovers = state.withLock { state in
            let streams = state.streams
            state.streams = [:]
            state.observers = [:]
            return streams
        }
        for continuation in leftovers.values { continuation.finish() }
    }

    /// Ticks the core (queue timeouts, "model unavailable") and the gauges; returns once draining is done.
    private func housekeeping() async {
        var lastPoke = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: tickInterval)
            if ContinuousClock.now - lastPoke >= .seconds(1) {
                // Idle step loops check that their worker still lives (`WorkerLink.checkAlive`).
                lastPoke = ContinuousClock.now
                for waker in state.withLock({ $0.wakers }) { waker?.yield() }
            }
            let moment = now
            let (effects, gauges) = state.withLock { state in
                let effects = Effects(state.core.tick(at: moment), in: &state)
                let gauges = (
                    state.core.waitingCount, state.core.runningCount,
                    (0..<workerCount).map { (state.core.kvBlocksCommitted(on: $0), state.core.kvBlocksFree(on: $0)) },
                    (0..<workerCount).map { state.core.isLive($0) }
                )
                return (effects, gauges)
            }
            perform(effects)
            metrics.queueDepth.record(gauges.0)
            metrics.running.record(gauges.1)
            var used = 0
            var total = 0
            for (index, blocks) in gauges.2.enumerated() {
                metrics.kvBlocks[index].used.record(blocks.0)
                metrics.kvBlocks[index].free.record(max(0, blocks.1))
                used += blocks.0
                total += blocks.0 + max(0, blocks.1)
            }
            metrics.kvUsage.record(total > 0 ? Double(used) / Double(total) : 0)
            for (index, live) in gauges.3.enumerated() { metrics.workerUp[index].record(live ? 1 : 0) }
            if effects.drained { return }
        }
    }

    // MARK: Workers

    /// Keeps worker `index` running: launch, handshake, step loop; on a failure requeue its sequences and
    /// restart after an exponential back-off (reset once a worker has lived 30 s).
    private func supervise(worker index: Int) async {
        let (wakes, waker) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        state.withLock { $0.wakers[index] = waker }
        var wakeups = wakes.makeAsyncIterator()
        var backoff = restartBackoff.lowerBound
        while !Task.isCancelled {
            var link: (any WorkerLink)?
            let started = ContinuousClock.now
            do {
                let launched = try await launcher.launch(index: index)
                link = launched
                state.withLock { $0.links[index] = launched }
                let hello = try await launched.hello()
                let moment = now
                state.withLock {
                    $0.core.workerStarted(index, hello: hello, at: moment)
                    $0.startFailure = nil
                }
                logger.info(
                    "worker ready",
                    metadata: [
                        "worker": "\(index)", "pid": "\(hello.processID)", "kv_blocks": "\(hello.kvBlocksTotal)",
                    ])
                try await stepLoop(worker: index, link: launched, wakeups: &wakeups)
                await launched.stop()
                return
            } catch {
                await link?.stop()
                if Task.isCancelled { return }
                let moment = now
                let effects = state.withLock { state in
                    let effects = Effects(state.core.workerDied(index, at: moment), in: &state)
                    state.links[index] = nil
                    state.restarts += 1
                    if error is WorkerStartFailure { state.startFailure = "\(error)" }
                    return effects
                }
                perform(effects)
                metrics.workerRestarts.increment()
                if error is WorkerHang { metrics.workerHangs.increment() }
                let poisoned = effects.restart?.poisoned ?? []
                if !poisoned.isEmpty {
                    metrics.poisonedSequences.increment(by: poisoned.count)
                    logger.error(
                        "requests failed: in the batch of two worker deaths in a row",
                        metadata: ["worker": "\(index)", "sequences": "\(poisoned)"])
                }
                logger.error(
                    "worker died; its sequences are requeued",
                    metadata: ["worker": "\(index)", "error": "\(error)", "restart_in": "\(backoff)"])
                if ContinuousClock.now - started > .seconds(30) { backoff = restartBackoff.lowerBound }
                // The same failure would come back at once: no quick restart loop.
                if error is WorkerStartFailure { backoff = restartBackoff.upperBound }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, restartBackoff.upperBound)
            }
        }
    }

    /// Plans, sends and applies steps for worker `index` until cancelled; sleeps while it has nothing to do.
    private func stepLoop(
        worker index: Int, link: any WorkerLink, wakeups: inout AsyncStream<Void>.Iterator
    ) async throws {
        while !Task.isCancelled {
            let moment = now
            let (planned, observers) = state.withLock { state in
                (Effects(state.core.planStep(for: index, at: moment), in: &state), state.observers)
            }
            perform(planned)
            guard let plan = planned.step else {
                // An idle worker that died is found here: housekeeping wakes idle workers every second.
                try link.checkAlive()
                if await wakeups.next() == nil { return }
                continue
            }
            if plan.preempted > 0 { metrics.preemptions.increment(by: plan.preempted) }
            let started = ContinuousClock.now
            let result = try await link.step(plan.step)
            let ended = ContinuousClock.now
            metrics.stepDuration.record(duration: ended - started)
            if !observers.isEmpty {
                let reports = GenerationStepReport.reports(
                    for: plan.step, observers: observers, worker: index, prefillTokens: plan.prefillTokens,
                    started: started, ended: ended, result: result)
                for (observer, report) in reports { observer.stepFinished(report) }
            }
            metrics.stepSequences.record(plan.step.admit.count + plan.step.decode.count)
            metrics.prefillTokens.increment(by: plan.prefillTokens)
            metrics.decodeTokens.increment(by: plan.step.decode.count)
            metrics.recordPrefixCache(result, worker: index)
            let after = now
            let effects = state.withLock { state in
                Effects(state.core.apply(result, from: index, at: after), in: &state)
            }
            perform(effects)
        }
    }

    /// Yields each stream event (a finish ends its stream), then wakes the step loops; outside the lock.
    private func perform(_ effects: Effects) {
        for (continuation, event) in effects.events {
            continuation.yield(event)
            if case .finished(let finish) = event {
                if let queued = finish.queueTime { metrics.queueTime.record(duration: queued) }
                continuation.finish()
            }
        }
        for waker in effects.wakers { waker.yield() }
    }

    /// An event's actions resolved under the lock: the continuations they reach, and what the calling loop does next.
    private struct Effects {
        /// Stream events, with their streams (a finish's stream is already forgotten).
        var events: [(AsyncStream<GenerationEvent>.Continuation, GenerationEvent)] = []
        /// Step loops to wake.
        var wakers: [AsyncStream<Void>.Continuation] = []
        /// The step to send (`planStep`); nil when the loop is to sleep.
        var step: SchedulerCore.StepPlan?
        /// The worker to restart, with the requests the poison-sequence rule failed (`workerDied`).
        var restart: (worker: Int, poisoned: [UInt64])?
        /// Whether draining is done (`tick`).
        var drained = false

        /// Resolves `actions` against `state`'s streams and step loops.
        init(_ actions: [SchedulerCore.Action], in state: inout State) {
            for action in actions {
                switch action {
                case .deliverToken(let id, let token):
                    if let continuation = state.streams[id] { events.append((continuation, .token(token))) }
                case .finish(let id, let finish):
                    if !state.observers.isEmpty { state.observers[id] = nil }
                    if let continuation = state.streams.removeValue(forKey: id) {
                        events.append((continuation, .finished(finish)))
                    }
                case .wakeWorker(let index):
                    if let waker = state.wakers[index] { wakers.append(waker) }
                case .sendStep(let plan, _):
                    step = plan
                case .sleep:
                    step = nil
                case .restartWorker(let index, let poisoned):
                    restart = (index, poisoned)
                case .drained:
                    drained = true
                }
            }
        }
    }
}

/// A point-in-time view of one model's scheduler (for health, metrics and tests).
public struct SchedulerSnapshot: Sendable, Equatable {
    /// Requests waiting.
    public var waiting: Int
    /// Sequences running.
    public var running: Int
    /// Workers that said hello and have not died since.
    public var liveWorkers: Int
    /// Workers configured.
    public var workers: Int
    /// Free KV blocks per worker (0 for a worker that is down).
    public var kvBlocksFree: [Int]
    /// Sequences preempted so far.
    public var preemptions: Int
    /// Worker restarts so far.
    public var workerRestarts: Int
    /// Why the last worker could not start, while no worker has started since (`WorkerStartFailure`).
    public var startFailure: String? = nil
}
