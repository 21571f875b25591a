import Testing
import WorkerProtocol

@testable import Scheduler

/// Each event of `SchedulerCore` on its own, from a small known state: one worker with 64 KV blocks of 16 tokens.
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

    /// A core whose one worker is live.
    static func core() -> SchedulerCore {
        var core = SchedulerCore(limits: limits, workerCount: 1)
        core.workerStarted(0, hello: hello, at: .zero)
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

    @Test("workerStarted: the worker is live with the hello's KV blocks, and can be woken")
    func workerStarted() {
        var core = SchedulerCore(limits: Self.limits, workerCount: 1)
        #expect(!core.hasLiveWorker)
        core.workerStarted(0, hello: Self.hello, at: .zero)
        #expect(core.isLive(0))
        #expect(core.kvBlocksFree(on: 0) == 64)
        #expect(core.workerToWake() == 0)
    }

    @Test("submit: a request waits; past the queue's limit one is refused with queue_full")
    func submit() throws {
        var core = Self.core()
        let first = try core.submit(Self.request(), at: .zero)
        _ = try core.submit(Self.request(), at: .zero)
        #expect(core.isWaiting(first))
        #expect(core.waitingCount == 2)
        #expect(Self.code { _ = try core.submit(Self.request(), at: .zero) } == .queueFull)
    }

    @Test("submit: an empty prompt or a zero token limit is refused as invalid")
    func submitRefusesMalformed() {
        var core = Self.core()
        #expect(Self.code { _ = try core.submit(Self.request(tokens: 0), at: .zero) } == .invalidRequest)
        #expect(Self.code { _ = try core.submit(Self.request(maxTokens: 0), at: .zero) } == .invalidRequest)
        #expect(core.waitingCount == 0)
    }

    @Test("cancel: a waiting request leaves the queue with `cancelled`; an unknown id gets nothing")
    func cancel() throws {
        var core = Self.core()
        let id = try core.submit(Self.request(), at: .zero)
        let deliveries = core.cancel(id)
        #expect(deliveries.count == 1)
        #expect(deliveries.first?.id == id)
        if case .finished(let finish) = deliveries.first?.event {
            #expect(finish.reason == .cancelled)
        } else {
            Issue.record("expected a finish, got \(String(describing: deliveries.first?.event))")
        }
        #expect(!core.isWaiting(id))
        #expect(core.cancel(id).isEmpty)
        #expect(core.cancel(999).isEmpty)
    }

    @Test("planStep: a waiting prompt is admitted whole as its last chunk and runs")
    func planStep() throws {
        var core = Self.core()
        let id = try core.submit(Self.request(tokens: 8), at: .zero)
        let planned = core.planStep(for: 0, at: .zero)
        let plan = try #require(planned)
        #expect(plan.step.admit.map(\.sequenceID) == [id])
        #expect(plan.step.admit.first?.isLastChunk == true)
        #expect(plan.step.admit.first?.sampling?.maxTokens == 4)
        #expect(plan.prefillTokens == 8)
        #expect(core.running(on: 0) == [id])
        #expect(core.waitingCount == 0)
    }

    @Test("apply: a sampled token is delivered; the last one allowed finishes the stream with `length`")
    func apply() throws {
        var core = Self.core()
        let id = try core.submit(Self.request(maxTokens: 1), at: .zero)
        let planned = core.planStep(for: 0, at: .zero)
        let plan = try #require(planned)
        let deliveries = core.apply(
            StepResult(
                stepID: plan.step.stepID,
                tokens: [SampledToken(sequenceID: id, token: 42, kvBlocksHeld: 1, finish: .maxTokens)]),
            from: 0, at: .milliseconds(5))
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

    @Test("workerDied: its running sequences go back to the queue, nothing is delivered the first time")
    func workerDied() throws {
        var core = Self.core()
        let id = try core.submit(Self.request(), at: .zero)
        #expect(core.planStep(for: 0, at: .zero) != nil)
        let deliveries = core.workerDied(0, at: .seconds(1))
        #expect(deliveries.isEmpty)
        #expect(!core.isLive(0))
        #expect(core.isWaiting(id))
        #expect(core.runningCount == 0)
    }

    @Test("tick: a request waiting past the queue timeout is refused with queue_timeout")
    func tick() throws {
        var core = SchedulerCore(limits: Self.limits, workerCount: 1)
        core.workerStarted(0, hello: Self.hello, at: .zero)
        let id = try core.submit(Self.request(), at: .zero)
        let early = core.tick(at: .seconds(5))
        #expect(early.isEmpty)
        let deliveries = core.tick(at: .seconds(11))
        #expect(deliveries.map(\.id) == [id])
        if case .finished(let finish) = deliveries.first?.event, case .error(let error) = finish.reason {
            #expect(error.code == .queueTimeout)
        } else {
            Issue.record("expected a queue timeout, got \(String(describing: deliveries.first?.event))")
        }
        #expect(core.waitingCount == 0)
    }

    @Test("beginDraining: new requests are refused with shutting_down; held ones stay")
    func beginDraining() throws {
        var core = Self.core()
        let id = try core.submit(Self.request(), at: .zero)
        core.beginDraining()
        #expect(core.isDraining)
        #expect(Self.code { _ = try core.submit(Self.request(), at: .zero) } == .shuttingDown)
        #expect(core.isWaiting(id))
    }
}
