import Basics
import Testing
import WorkerProtocol

@testable import Scheduler

/// The scheduler's side of prefix caching: shared blocks counted once, cached prompt tokens reported, chunks that
/// keep reuse possible, and placement on the worker that holds a prompt's prefix.
@Suite("Scheduler prefix cache")
struct SchedulerPrefixCacheTests {
    static let hello = Hello(
        processID: 1, modelName: "m", architecture: "llama", vocabularySize: 1000, contextLength: 1024,
        kvBlockSize: 16, kvBlocksTotal: 64, maxBatchTokens: 512)

    static func core(workers: Int = 1, limits: SchedulerLimits = SchedulerLimits(maxBatchTokens: 256)) -> SchedulerCore
    {
        var core = SchedulerCore(limits: limits, workerCount: workers)
        for index in 0..<workers { core.workerStarted(index, hello: hello, at: .zero) }
        return core
    }

    /// `count` prompt tokens that begin with `shared` tokens common to every seed.
    static func prompt(_ count: Int, shared: Int = 32, seed: Int32) -> [Int32] {
        (0..<Int32(count)).map { $0 < shared ? 100 + $0 : 500 + seed * 7 + $0 }
    }

    static func request(_ prompt: [Int32], maxTokens: UInt32 = 4) -> GenerationRequest {
        GenerationRequest(promptTokens: prompt, sampling: GenerationSampling(maxTokens: maxTokens), tenant: "t")
    }

    /// The worker's answer to `plan`: one token for every sequence that finished its prompt or decodes, the hits.
    static func answer(_ plan: SchedulerCore.StepPlan, hits: [PrefixHit] = []) -> StepResult {
        let producing = plan.step.admit.filter(\.isLastChunk).map(\.sequenceID) + plan.step.decode
        return StepResult(
            stepID: plan.step.stepID, tokens: producing.map { SampledToken(sequenceID: $0, token: 9, kvBlocksHeld: 1) },
            prefixHits: hits)
    }

    @Test("Blocks two running sequences reuse from the cache are counted once; their own blocks each")
    func sharedCountedOnce() throws {
        var core = Self.core()
        let a = try core.submit(Self.request(Self.prompt(40, seed: 1)), at: .zero).id
        let b = try core.submit(Self.request(Self.prompt(40, seed: 2)), at: .zero).id
        let plannedPlan = core.planStep(for: 0, at: .zero).plan
        let plan = try #require(plannedPlan)
        #expect(plan.step.admit.map(\.sequenceID) == [a, b])
        #expect(core.kvBlocksCommitted(on: 0) == 6)
        // Only b reused the shared prefix: a computed its copy, so nothing is counted twice yet to undo.
        _ = core.apply(
            Self.answer(
                plan,
                hits: [
                    .init(sequenceID: a, position: 0, cachedTokens: 0),
                    .init(sequenceID: b, position: 0, cachedTokens: 32),
                ]),
            from: 0, at: .milliseconds(1))
        #expect(core.kvBlocksCommitted(on: 0) == 6)
        #expect(core.cachedPromptTokens(of: b) == 32)
        #expect(core.cachedPromptTokens(of: a) == 0)

        // Two more that both reuse the same two blocks: 2 shared + 1 own each, on top of the six.
        let c = try core.submit(Self.request(Self.prompt(40, seed: 3)), at: .milliseconds(2)).id
        let d = try core.submit(Self.request(Self.prompt(48, seed: 4)), at: .milliseconds(2)).id
        let plannedNext = core.planStep(for: 0, at: .milliseconds(2)).plan
        let next = try #require(plannedNext)
        #expect(next.step.admit.map(\.sequenceID) == [c, d])
        _ = core.apply(
            Self.answer(
                next,
                hits: [
                    .init(sequenceID: c, position: 0, cachedTokens: 32),
                    .init(sequenceID: d, position: 0, cachedTokens: 32),
                ]),
            from: 0, at: .milliseconds(3))
        // a: its 3 blocks (41 tokens); b, c and d: 1 own block each; the 2 blocks all three reuse, once.
        let (committed, _) = core.kvAccounting(on: 0)
        #expect(committed == 3 + 1 + 1 + 1 + 2)
        #expect(core.kvBlocksFree(on: 0) == 64 - committed)
    }

    @Test("cached_tokens reaches the first token and the finish; a recomputation does not change it")
    func cachedTokensReported() throws {
        var core = Self.core()
        let id = try core.submit(Self.request(Self.prompt(40, seed: 1), maxTokens: 2), at: .zero).id
        let plannedPlan = core.planStep(for: 0, at: .zero).plan
        let plan = try #require(plannedPlan)
        let first = core.apply(
            Self.answer(plan, hits: [.init(sequenceID: id, position: 0, cachedTokens: 32)]), from: 0,
            at: .milliseconds(1)
        ).deliveries
        guard case .token(let token) = first.first?.event else {
            Issue.record("expected a token, got \(first)")
            return
        }
        #expect(token.cachedPromptTokens == 32)
        // Preempted by a worker death, recomputed with its prompt and its token: the worker finds more cached then.
        _ = core.workerDied(0, at: .milliseconds(2))
        core.workerStarted(0, hello: Self.hello, at: .milliseconds(3))
        let plannedAgain = core.planStep(for: 0, at: .milliseconds(3)).plan
        let again = try #require(plannedAgain)
        #expect(again.step.admit.first?.tokens.count == 41)
        let deliveries = core.apply(
            Self.answer(again, hits: [.init(sequenceID: id, position: 0, cachedTokens: 32)]), from: 0,
            at: .milliseconds(4)
        ).deliveries
        guard case .finished(let finish) = deliveries.last?.event else {
            Issue.record("expected a finish, got \(deliveries)")
            return
        }
        #expect(finish.cachedPromptTokens == 32)
        #expect(finish.recomputations == 1)
    }

    @Test("A requeued sequence's shared blocks no longer count")
    func requeueForgetsShared() throws {
        var core = Self.core()
        let id = try core.submit(Self.request(Self.prompt(40, seed: 1)), at: .zero).id
        let plannedPlan = core.planStep(for: 0, at: .zero).plan
        let plan = try #require(plannedPlan)
        _ = core.apply(
            Self.answer(plan, hits: [.init(sequenceID: id, position: 0, cachedTokens: 32)]), from: 0,
            at: .milliseconds(1))
        #expect(core.kvBlocksCommitted(on: 0) == 3)
        _ = core.workerDied(0, at: .milliseconds(2))
        core.workerStarted(0, hello: Self.hello, at: .milliseconds(3))
        #expect(core.kvBlocksCommitted(on: 0) == 0)
        #expect(core.kvBlocksFree(on: 0) == 64)
    }

    @Test(
        "With prefix caching, a chunk that does not end its prompt ends on a block boundary", arguments: [false, true])
    func chunkAlignment(prefixCaching: Bool) throws {
        var core = Self.core(limits: SchedulerLimits(maxBatchTokens: 50, prefixCaching: prefixCaching))
        let id = try core.submit(Self.request(Self.prompt(120, seed: 1)), at: .zero).id
        var sizes: [Int] = []
        var now = Duration.zero
        while core.isWaiting(id) || core.running(on: 0).contains(id), sizes.reduce(0, +) < 120 {
            let plannedPlan = core.planStep(for: 0, at: now).plan
            let plan = try #require(plannedPlan)
            sizes.append(plan.step.admit.first?.tokens.count ?? 0)
            now += .milliseconds(1)
            _ = core.apply(Self.answer(plan), from: 0, at: now)
        }
        #expect(sizes == (prefixCaching ? [48, 48, 24] : [50, 50, 20]))
    }

    @Test("With two workers, a request goes to the one that holds its prefix, unless that one is overloaded")
    func placement() throws {
        var limits = SchedulerLimits(maxBatchTokens: 256, maxRunning: 2)
        limits.prefixAffinityMinTokens = 64
        var core = Self.core(workers: 2, limits: limits)
        let system = Self.prompt(96, shared: 96, seed: 0)
        // The first runs on worker 0 (the only one that plans), and ends there.
        let first = try core.submit(Self.request(system + [1, 2, 3], maxTokens: 1), at: .zero).id
        let plannedPlan = core.planStep(for: 0, at: .zero).plan
        let plan = try #require(plannedPlan)
        #expect(plan.step.admit.map(\.sequenceID) == [first])
        _ = core.apply(Self.answer(plan), from: 0, at: .milliseconds(1))
        #expect(core.activeCount == 0)

        // The second shares its 96 tokens (6 blocks): worker 1 leaves it to worker 0 and says to wake it.
        let second = try core.submit(Self.request(system + [4, 5], maxTokens: 8), at: .milliseconds(2)).id
        #expect(core.workerToWake(for: second, at: .milliseconds(2)) == 0)
        let leftToZero = core.planStep(for: 1, at: .milliseconds(2))
        #expect(leftToZero.plan == nil)
        #expect(leftToZero.wakes == [0])
        #expect(core.isWaiting(second) == true)
        let plannedOnzero = core.planStep(for: 0, at: .milliseconds(3)).plan
        let onZero = try #require(plannedOnzero)
        #expect(onZero.step.admit.map(\.sequenceID) == [second])
        _ = core.apply(Self.answer(onZero), from: 0, at: .milliseconds(4))

        // A prompt it shares nothing with goes anywhere.
        let other = try core.submit(Self.request(Self.prompt(96, shared: 0, seed: 9)), at: .milliseconds(5)).id
        let plannedOnone = core.planStep(for: 1, at: .milliseconds(5)).plan
        let onOne = try #require(plannedOnone)
        #expect(onOne.step.admit.map(\.sequenceID) == [other])
        _ = core.apply(Self.answer(onOne), from: 1, at: .milliseconds(6))

        // Worker 0 full (two running of two): the next one with the shared prefix runs on worker 1.
        let third = try core.submit(Self.request(system + [6], maxTokens: 8), at: .milliseconds(7)).id
        let plannedFiller = core.planStep(for: 0, at: .milliseconds(7)).plan
        let filler = try #require(plannedFiller)
        #expect(filler.step.admit.map(\.sequenceID) == [third])
        _ = core.apply(Self.answer(filler), from: 0, at: .milliseconds(8))
        let fourth = try core.submit(Self.request(system + [7], maxTokens: 8), at: .milliseconds(9)).id
        let plannedSpilled = core.planStep(for: 1, at: .milliseconds(9)).plan
        let spilled = try #require(plannedSpilled)
        #expect(spilled.step.admit.map(\.sequenceID) == [fourth])
    }

    @Test("A request left for another worker is taken by any once it has waited the longest wait")
    func placementGivesUp() throws {
        var limits = SchedulerLimits(maxBatchTokens: 256)
        limits.prefixAffinityMaxWait = .milliseconds(500)
        var core = Self.core(workers: 2, limits: limits)
        let system = Self.prompt(96, shared: 96, seed: 0)
        let first = try core.submit(Self.request(system + [1], maxTokens: 1), at: .zero).id
        let plannedPlan = core.planStep(for: 0, at: .zero).plan
        let plan = try #require(plannedPlan)
        _ = core.apply(Self.answer(plan), from: 0, at: .milliseconds(1))
        #expect(core.activeCount == 0, "\(first)")
        let second = try core.submit(Self.request(system + [2]), at: .milliseconds(2)).id
        #expect(core.planStep(for: 1, at: .milliseconds(100)).plan == nil)
        let plannedLate = core.planStep(for: 1, at: .milliseconds(600)).plan
        let late = try #require(plannedLate)
        #expect(late.step.admit.map(\.sequenceID) == [second])
    }

    @Test("With placement off (no prefix cache), the prefix does not matter")
    func placementOff() throws {
        var limits = SchedulerLimits(maxBatchTokens: 256)
        limits.prefixAffinityMinTokens = 0
        var core = Self.core(workers: 2, limits: limits)
        let system = Self.prompt(96, shared: 96, seed: 0)
        _ = try core.submit(Self.request(system + [1], maxTokens: 1), at: .zero).id
        let plannedPlan = core.planStep(for: 0, at: .zero).plan
        let plan = try #require(plannedPlan)
        _ = core.apply(Self.answer(plan), from: 0, at: .milliseconds(1))
        let second = try core.submit(Self.request(system + [2]), at: .milliseconds(2)).id
        let plannedOnone = core.planStep(for: 1, at: .milliseconds(2)).plan
        let onOne = try #require(plannedOnone)
        #expect(onOne.step.admit.map(\.sequenceID) == [second])
    }
}
