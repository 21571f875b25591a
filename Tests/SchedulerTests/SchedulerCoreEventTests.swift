import Testing
import WorkerProtocol

@testable import Scheduler

/// Each event of `SchedulerCore` on its own, from a small known state (one worker with 64 KV blocks of 16 tokens),
/// and each action it can return.
@Suite("Scheduler core events")
struct SchedulerCoreEventTests {
    static let hello = Hello(
        processID: 1, modelName: "m", architecture: "llama", vocabularySize: 100, contextLength: 256,
        kvBlockSize: 16, kvBlocksTotal: 64, maxBatchTokens: 64)
    static let limits = SchedulerLimits(maxBatchTokens: 64, maxRunning: 4, maxQueue: 2, queueTimeout: .seconds(10))

    static func request(tokens: Int = 8, maxTokens: UInt32 = 4, tenant: String = "t") -> GenerationRequest {
        GenerationRequest(
            promptTokens: Array(repeating: 7, count: tokens), sampling: GenerationSampling(maxTokens: maxTokens),
            tenant: tenant)
    }

    /// A core whose `workers` workers are live.
    static func core(workers: Int = 1, limits: SchedulerLimits = limits) -> SchedulerCore {
        var core = SchedulerCore(limits: limits, workerCount: workers)
        for index in 0..<workers { core.workerStarted(index, hello: hello, at: .zero) }
        return core
    }

    static func code(_ body: () throws -> Void) -> SchedulerError.Code? {
        do {
            try body()
            return nil
        } catch {
            return (error as? SchedulerError)?.code
        }
    }

    /// The finish among `actions` for request `id`, or nil.
    static func finish(of id: UInt64, in actions: [SchedulerCore.Action]) -> GenerationFinish? {
        for case .finish(id, let finish) in actions { return finish }
        return nil
    }

    /// The error code request `id` finished with among `actions`, or nil.
    static func errorCode(of id: UInt64, in actions: [SchedulerCore.Action]) -> SchedulerError.Code? {
        guard case .error(let error) = finish(of: id, in: actions)?.reason else { return nil }
        return error.code
    }

    /// A running core: `id` admitted with its whole prompt on worker 0, and the step that admitted it.
    static func admitted(
        _ core: inout SchedulerCore, _ request: GenerationRequest = request()
    ) throws -> (id: UInt64, plan: SchedulerCore.StepPlan) {
        let id = try core.submit(request, at: .zero).id
        let planned = core.planStep(for: 0, at: .zero).plan
        return (id, try #require(planned))
    }

    // MARK: workerStarted

    @Test("workerStarted: the worker is live with the hello's KV blocks, and can be woken")
    func workerStarted() {
        var core = SchedulerCore(limits: Self.limits, workerCount: 1)
        #expect(core.hasLiveWorker == false)
        core.workerStarted(0, hello: Self.hello, at: .zero)
        #expect(core.isLive(0) == true)
        #expect(core.kvBlocksFree(on: 0) == 64)
        #expect(core.workerToWake() == 0)
    }

    @Test("workerStarted after a death: the worker starts empty, and the requeued sequence is admitted again")
    func workerRestarted() throws {
        var core = Self.core()
        let (id, _) = try Self.admitted(&core)
        _ = core.workerDied(0, at: .seconds(1))
        core.workerStarted(0, hello: Self.hello, at: .seconds(2))
        #expect(core.isLive(0) == true)
        #expect(core.kvBlocksFree(on: 0) == 64)
        let again = core.planStep(for: 0, at: .seconds(2)).plan
        #expect(again?.step.admit.map(\.sequenceID) == [id])
    }

    // MARK: submit

    @Test("submit: a request waits, and wakes the idle worker; past the queue's limit one is refused with queue_full")
    func submit() throws {
        var core = Self.core()
        let (first, actions) = try core.submit(Self.request(), at: .zero)
        #expect(actions == [.wakeWorker(0)])
        _ = try core.submit(Self.request(), at: .zero)
        #expect(core.isWaiting(first) == true)
        #expect(core.waitingCount == 2)
        #expect(Self.code { _ = try core.submit(Self.request(), at: .zero) } == .queueFull)
    }

    @Test("submit: no worker is woken while the only one has a step out, or none is live yet")
    func submitWakesNobody() throws {
        var core = Self.core()
        _ = try Self.admitted(&core)
        let busy = try core.submit(Self.request(), at: .zero).actions
        #expect(busy == [])
        var cold = SchedulerCore(limits: Self.limits, workerCount: 1)
        let down = try cold.submit(Self.request(), at: .zero).actions
        #expect(down == [])
    }

    @Test("submit: an empty prompt or a zero token limit is refused as invalid")
    func submitRefusesMalformed() {
        var core = Self.core()
        #expect(Self.code { _ = try core.submit(Self.request(tokens: 0), at: .zero) } == .invalidRequest)
        #expect(Self.code { _ = try core.submit(Self.request(maxTokens: 0), at: .zero) } == .invalidRequest)
        #expect(core.waitingCount == 0)
    }

    @Test("submit: over the model's context, or sampling that no step could carry, is refused")
    func submitRefusesTooLarge() {
        var core = Self.core()
        #expect(
            Self.code { _ = try core.submit(Self.request(tokens: 250, maxTokens: 7), at: .zero) }
                == .contextLengthExceeded)
        var small = Self.core(limits: SchedulerLimits(maxBatchTokens: 64, maxRunning: 4, maxStepBytes: 2_048))
        var biased = Self.request()
        biased.sampling.logitBias = (0..<1_000).map { TokenBias(token: Int32($0), bias: 0) }
        #expect(Self.code { _ = try small.submit(biased, at: .zero) } == .invalidRequest)
        #expect(core.waitingCount == 0 && small.waitingCount == 0)
    }

    @Test("submit: with no live worker past the grace period, model_unavailable; within it, the request waits")
    func submitWithoutWorker() throws {
        var core = SchedulerCore(limits: Self.limits, workerCount: 1)
        let waiting = try core.submit(Self.request(), at: .seconds(1)).id
        #expect(core.isWaiting(waiting) == true)
        #expect(Self.code { _ = try core.submit(Self.request(), at: .seconds(31)) } == .modelUnavailable)
    }

    // MARK: cancel

    @Test("cancel: a waiting request leaves the queue with `cancelled`; an unknown id gets nothing")
    func cancel() throws {
        var core = Self.core()
        let id = try core.submit(Self.request(), at: .zero).id
        let deliveries = core.cancel(id).deliveries
        #expect(deliveries.count == 1)
        #expect(deliveries.first?.id == id)
        if case .finished(let finish) = deliveries.first?.event {
            #expect(finish.reason == .cancelled)
        } else {
            Issue.record("expected a finish, got \(String(describing: deliveries.first?.event))")
        }
        #expect(core.isWaiting(id) == false)
        #expect(core.cancel(id).isEmpty)
        #expect(core.cancel(999).isEmpty)
    }

    @Test("cancel: a running request finishes `cancelled` now, its token is dropped, and the next step releases it")
    func cancelRunning() throws {
        var core = Self.core()
        let (id, plan) = try Self.admitted(&core)
        #expect(Self.finish(of: id, in: core.cancel(id))?.reason == .cancelled)
        let late = core.apply(
            StepResult(stepID: plan.step.stepID, tokens: [SampledToken(sequenceID: id, token: 5, kvBlocksHeld: 1)]),
            from: 0, at: .milliseconds(1))
        #expect(late.deliveries.isEmpty)
        #expect(core.planStep(for: 0, at: .milliseconds(2)) == [.sleep(worker: 0)])
        _ = try core.submit(Self.request(), at: .milliseconds(3))
        let next = core.planStep(for: 0, at: .milliseconds(3)).plan
        #expect(next?.step.release == [id])
        #expect(core.activeCount == 1)
    }

    // MARK: planStep

    @Test("planStep: a waiting prompt is admitted whole as its last chunk and sent to the worker")
    func planStep() throws {
        var core = Self.core()
        let id = try core.submit(Self.request(tokens: 8), at: .zero).id
        let actions = core.planStep(for: 0, at: .zero)
        let plan = try #require(actions.plan)
        #expect(actions == [.sendStep(plan, worker: 0)])
        #expect(plan.step.admit.map(\.sequenceID) == [id])
        #expect(plan.step.admit.first?.isLastChunk == true)
        #expect(plan.step.admit.first?.sampling?.maxTokens == 4)
        #expect(plan.prefillTokens == 8)
        #expect(core.running(on: 0) == [id])
        #expect(core.waitingCount == 0)
    }

    @Test("planStep: the worker sleeps with nothing to run, with a step out, or when it is not live")
    func planStepSleeps() throws {
        var core = Self.core(workers: 2)
        #expect(core.planStep(for: 0, at: .zero) == [.sleep(worker: 0)])
        _ = try Self.admitted(&core)
        _ = try core.submit(Self.request(), at: .zero)
        #expect(core.planStep(for: 0, at: .zero) == [.sleep(worker: 0)])
        _ = core.workerDied(1, at: .zero)
        #expect(core.planStep(for: 1, at: .zero) == [.sleep(worker: 1)])
        #expect(core.waitingCount == 1)
    }

    @Test("planStep: a running sequence decodes; a prompt longer than the budget goes in chunks")
    func planStepDecodesAndChunks() throws {
        var core = Self.core()
        let (first, plan) = try Self.admitted(&core)
        _ = core.apply(
            StepResult(
                stepID: plan.step.stepID, tokens: [SampledToken(sequenceID: first, token: 5, kvBlocksHeld: 1)]),
            from: 0, at: .milliseconds(1))
        let long = try core.submit(Self.request(tokens: 100), at: .milliseconds(1)).id
        let plannedNext = core.planStep(for: 0, at: .milliseconds(1)).plan
        let next = try #require(plannedNext)
        #expect(next.step.decode == [first])
        #expect(next.step.admit.map(\.sequenceID) == [long])
        #expect(next.step.admit.first?.tokens.count == 63)
        #expect(next.step.admit.first?.isLastChunk == false)
    }

    @Test("planStep: a decode that does not fit the KV cache preempts the youngest sequence, which waits again")
    func planStepPreempts() throws {
        let tight = Hello(
            processID: 1, modelName: "m", architecture: "llama", vocabularySize: 100, contextLength: 256,
            kvBlockSize: 4, kvBlocksTotal: 4, maxBatchTokens: 64)
        var core = SchedulerCore(limits: Self.limits, workerCount: 1)
        core.workerStarted(0, hello: tight, at: .zero)
        let old = try core.submit(Self.request(tokens: 8, maxTokens: 8), at: .zero).id
        let young = try core.submit(Self.request(tokens: 8, maxTokens: 8), at: .milliseconds(1)).id
        let plannedPlan = core.planStep(for: 0, at: .milliseconds(1)).plan
        let plan = try #require(plannedPlan)
        #expect(plan.step.admit.map(\.sequenceID) == [old, young])
        _ = core.apply(
            StepResult(
                stepID: plan.step.stepID,
                tokens: [old, young].map { SampledToken(sequenceID: $0, token: 5, kvBlocksHeld: 2) }),
            from: 0, at: .milliseconds(2))
        // Both hold 2 of the 4 blocks; the next token of each needs a third.
        let plannedNext = core.planStep(for: 0, at: .milliseconds(2)).plan
        let next = try #require(plannedNext)
        #expect(next.preempted == 1)
        #expect(next.step.decode == [old])
        #expect(next.step.release == [young])
        #expect(core.isWaiting(young) == true)
        #expect(core.preemptions == 1)
    }

    // MARK: apply

    @Test("apply: a sampled token is delivered; the last one allowed finishes the stream with `length`")
    func apply() throws {
        var core = Self.core()
        let id = try core.submit(Self.request(maxTokens: 1), at: .zero).id
        let planned = core.planStep(for: 0, at: .zero).plan
        let plan = try #require(planned)
        let deliveries = core.apply(
            StepResult(
                stepID: plan.step.stepID,
                tokens: [SampledToken(sequenceID: id, token: 42, kvBlocksHeld: 1, finish: .maxTokens)]),
            from: 0, at: .milliseconds(5)
        ).deliveries
        #expect(deliveries.map(\.id) == [id, id])
        #expect(deliveries.first?.event == .token(GeneratedToken(token: 42)))
        if case .finished(let finish) = deliveries.last?.event {
            #expect(finish.reason == .length)
            #expect(finish.completionTokens == 1)
        } else {
            Issue.record("expected a finish, got \(String(describing: deliveries.last?.event))")
        }
        #expect(core.activeCount == 0)
    }

    @Test("apply: tokens go on without a finish; end of sequence finishes with `stop`; the order is kept")
    func applyTokensAndStop() throws {
        var core = Self.core()
        let (id, plan) = try Self.admitted(&core)
        let first = core.apply(
            StepResult(stepID: plan.step.stepID, tokens: [SampledToken(sequenceID: id, token: 5, kvBlocksHeld: 1)]),
            from: 0, at: .milliseconds(1))
        #expect(first == [.deliverToken(id: id, GeneratedToken(token: 5))])
        let plannedNext = core.planStep(for: 0, at: .milliseconds(1)).plan
        let next = try #require(plannedNext)
        let last = core.apply(
            StepResult(
                stepID: next.step.stepID,
                tokens: [SampledToken(sequenceID: id, token: 2, kvBlocksHeld: 1, finish: .endOfSequence)]),
            from: 0, at: .milliseconds(2))
        #expect(last.count == 2)
        #expect(last.first == .deliverToken(id: id, GeneratedToken(token: 2)))
        #expect(Self.finish(of: id, in: last)?.reason == .stop)
        #expect(Self.finish(of: id, in: last)?.completionTokens == 2)
    }

    @Test("apply: while requests wait, the idle worker is woken after the step")
    func applyWakes() throws {
        var core = Self.core(limits: SchedulerLimits(maxBatchTokens: 64, maxRunning: 1, maxQueue: 2))
        let (id, plan) = try Self.admitted(&core)
        _ = try core.submit(Self.request(), at: .zero)
        let actions = core.apply(
            StepResult(stepID: plan.step.stepID, tokens: [SampledToken(sequenceID: id, token: 5, kvBlocksHeld: 1)]),
            from: 0, at: .milliseconds(1))
        #expect(actions == [.deliverToken(id: id, GeneratedToken(token: 5)), .wakeWorker(0)])
    }

    @Test("apply: out of KV blocks requeues the sequence; another sequence error finishes it with sequence_failed")
    func applyErrors() throws {
        var core = Self.core()
        let a = try core.submit(Self.request(), at: .zero).id
        let b = try core.submit(Self.request(), at: .zero).id
        let plannedPlan = core.planStep(for: 0, at: .zero).plan
        let plan = try #require(plannedPlan)
        let actions = core.apply(
            StepResult(
                stepID: plan.step.stepID,
                errors: [
                    SequenceError(sequenceID: a, code: .outOfKVBlocks, message: "full"),
                    SequenceError(sequenceID: b, code: .internalError, message: "broken"),
                ]),
            from: 0, at: .milliseconds(1))
        #expect(Self.errorCode(of: b, in: actions) == .sequenceFailed)
        #expect(Self.finish(of: a, in: actions) == nil)
        #expect(core.isWaiting(a) == true)
        #expect(actions.last == .wakeWorker(0))
        #expect(core.preemptions == 1)
        #expect(core.activeCount == 1)
    }

    @Test("apply: a sequence the worker neither answered nor failed ends with sequence_failed and is released")
    func applyUnanswered() throws {
        var core = Self.core()
        let (id, plan) = try Self.admitted(&core)
        let actions = core.apply(StepResult(stepID: plan.step.stepID), from: 0, at: .milliseconds(1))
        #expect(Self.errorCode(of: id, in: actions) == .sequenceFailed)
        #expect(core.activeCount == 0)
        _ = try core.submit(Self.request(), at: .milliseconds(2))
        #expect(core.planStep(for: 0, at: .milliseconds(2)).plan?.step.release == [id])
    }

    @Test("apply: an answer with no step out does nothing")
    func applyWithoutStep() throws {
        var core = Self.core()
        let (id, plan) = try Self.admitted(&core)
        let answer = StepResult(
            stepID: plan.step.stepID, tokens: [SampledToken(sequenceID: id, token: 5, kvBlocksHeld: 1)])
        _ = core.apply(answer, from: 0, at: .milliseconds(1))
        #expect(core.apply(answer, from: 0, at: .milliseconds(2)) == [])
    }

    // MARK: workerDied

    @Test("workerDied: its running sequences go back to the queue, nothing is delivered the first time")
    func workerDied() throws {
        var core = Self.core()
        let id = try core.submit(Self.request(), at: .zero).id
        #expect(core.planStep(for: 0, at: .zero).plan != nil)
        let actions = core.workerDied(0, at: .seconds(1))
        #expect(actions.deliveries.isEmpty)
        #expect(actions == [.restartWorker(0, poisoned: [])])
        #expect(core.isLive(0) == false)
        #expect(core.isWaiting(id) == true)
        #expect(core.runningCount == 0)
    }

    @Test("workerDied: another idle worker is woken for the requeued sequences before the restart")
    func workerDiedWakesAnother() throws {
        var core = Self.core(workers: 2)
        _ = try Self.admitted(&core)
        #expect(core.workerDied(0, at: .seconds(1)) == [.wakeWorker(1), .restartWorker(0, poisoned: [])])
    }

    @Test("workerDied: a sequence in the batch of a second death in a row fails with worker_failed")
    func workerDiedPoison() throws {
        var core = Self.core()
        let (id, _) = try Self.admitted(&core)
        _ = core.workerDied(0, at: .seconds(1))
        core.workerStarted(0, hello: Self.hello, at: .seconds(2))
        #expect(core.planStep(for: 0, at: .seconds(2)).plan?.step.admit.map(\.sequenceID) == [id])
        let actions = core.workerDied(0, at: .seconds(3))
        #expect(Self.errorCode(of: id, in: actions) == .workerFailed)
        #expect(actions.last == .restartWorker(0, poisoned: [id]))
        #expect(core.poisoned == 1)
        #expect(core.activeCount == 0)
    }

    // MARK: tick

    @Test("tick: a request waiting past the queue timeout is refused with queue_timeout")
    func tick() throws {
        var core = SchedulerCore(limits: Self.limits, workerCount: 1)
        core.workerStarted(0, hello: Self.hello, at: .zero)
        let id = try core.submit(Self.request(), at: .zero).id
        let early = core.tick(at: .seconds(5))
        #expect(early.isEmpty)
        let deliveries = core.tick(at: .seconds(11)).deliveries
        #expect(deliveries.map(\.id) == [id])
        if case .finished(let finish) = deliveries.first?.event, case .error(let error) = finish.reason {
            #expect(error.code == .queueTimeout)
        } else {
            Issue.record("expected a queue timeout, got \(String(describing: deliveries.first?.event))")
        }
        #expect(core.waitingCount == 0)
    }

    @Test("tick: a running request past its own timeout ends with request_timeout")
    func tickRequestTimeout() throws {
        var core = Self.core()
        var slow = Self.request()
        slow.timeout = .seconds(2)
        let (id, _) = try Self.admitted(&core, slow)
        #expect(core.tick(at: .seconds(1)).isEmpty)
        #expect(Self.errorCode(of: id, in: core.tick(at: .seconds(3))) == .requestTimeout)
    }

    @Test("tick: with no live worker past the grace period, every waiting request fails with model_unavailable")
    func tickUnavailable() throws {
        var core = Self.core(limits: SchedulerLimits(maxBatchTokens: 64, queueTimeout: .seconds(3600)))
        let id = try core.submit(Self.request(), at: .zero).id
        _ = core.workerDied(0, at: .seconds(1))
        #expect(core.tick(at: .seconds(5)).isEmpty)
        #expect(core.isWaiting(id) == true)
        #expect(Self.errorCode(of: id, in: core.tick(at: .seconds(32))) == .modelUnavailable)
        #expect(core.waitingCount == 0)
    }

    // MARK: beginDraining

    @Test("beginDraining: new requests are refused with shutting_down; held ones stay")
    func beginDraining() throws {
        var core = Self.core()
        let id = try core.submit(Self.request(), at: .zero).id
        core.beginDraining()
        #expect(core.isDraining == true)
        #expect(Self.code { _ = try core.submit(Self.request(), at: .zero) } == .shuttingDown)
        #expect(core.isWaiting(id) == true)
    }

    @Test("tick while draining: `drained` only once nothing is held")
    func drained() throws {
        var core = Self.core()
        #expect(core.tick(at: .zero) == [])
        let id = try core.submit(Self.request(), at: .zero).id
        core.beginDraining()
        let holding = core.tick(at: .seconds(1))
        #expect(!holding.contains(.drained))
        _ = core.cancel(id)
        #expect(core.tick(at: .seconds(2)) == [.drained])
    }
}
