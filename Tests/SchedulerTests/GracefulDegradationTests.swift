import Testing
import WorkerProtocol

@testable import Scheduler

/// Issue 18's schedule under load: the step cost model, the planner that keeps a step within `target_itl`, and the
/// early refusal with its `Retry-After`.
@Suite("Graceful degradation")
struct GracefulDegradationTests {
    /// The cost every simulated step really takes: 10 ms, 2 ms a decode, 0.5 ms a prompt token.
    static func trueCost(decodes: Int, prefill: Int) -> Duration {
        .microseconds(10_000 + 2_000 * decodes + 500 * prefill)
    }

    static let hello = Hello(
        processID: 1, modelName: "m", architecture: "llama", vocabularySize: 100, contextLength: 4096,
        kvBlockSize: 16, kvBlocksTotal: 1024, maxBatchTokens: 512)

    static func request(tokens: Int, maxTokens: UInt32) -> GenerationRequest {
        GenerationRequest(
            promptTokens: Array(repeating: 7, count: tokens), sampling: GenerationSampling(maxTokens: maxTokens),
            tenant: "t")
    }

    /// The worker's answer to `plan`: a token for every sequence that finished its prompt or decodes.
    static func answer(_ plan: SchedulerCore.StepPlan) -> StepResult {
        let producing = plan.step.admit.filter(\.isLastChunk).map(\.sequenceID) + plan.step.decode
        return StepResult(
            stepID: plan.step.stepID, tokens: producing.map { SampledToken(sequenceID: $0, token: 9, kvBlocksHeld: 1) })
    }

    /// Plans and answers one step on worker 0 taking its true cost; returns the plan (nil: nothing to run).
    static func step(_ core: inout SchedulerCore, _ now: inout Duration) -> SchedulerCore.StepPlan? {
        guard let plan = core.planStep(for: 0, at: now).plan else { return nil }
        now += trueCost(decodes: plan.step.decode.count, prefill: plan.prefillTokens)
        _ = core.apply(answer(plan), from: 0, at: now)
        return plan
    }

    @Test("The cost model recovers a linear step cost, and says nothing before it has seen both kinds of step")
    func costModelFits() throws {
        var model = StepCostModel()
        for decodes in 1...3 { model.observe(decodes: decodes, prefill: 0, seconds: 0.01 + 0.002 * Double(decodes)) }
        #expect(model.isReady == false)
        #expect(model.prefillBudget(decodes: 4, within: 0.25) == nil)
        for (decodes, prefill) in [(0, 100), (2, 300), (4, 50)] {
            model.observe(
                decodes: decodes, prefill: prefill, seconds: 0.01 + 0.002 * Double(decodes) + 0.0005 * Double(prefill))
        }
        let cost = try #require(model.cost(decodes: 4, prefill: 100))
        #expect(abs(cost - 0.068) < 1e-6)
        // (0.25 − 0.018) / 0.0005 = 464 prompt tokens beside 4 decodes.
        let budget = try #require(model.prefillBudget(decodes: 4, within: 0.25))
        #expect((463...464).contains(budget))
        // Decodes alone over the target leave no room.
        #expect(model.prefillBudget(decodes: 200, within: 0.25) == 0)
    }

    /// Runs 4 long generations, then a 1,000-token prompt beside them; returns the plans of the steps that carried
    /// the long prompt, each with its decodes, and the core's estimate of it.
    static func longPromptSteps(targetITL: Duration) throws -> [(plan: SchedulerCore.StepPlan, estimate: Duration?)] {
        var core = SchedulerCore(
            limits: SchedulerLimits(maxBatchTokens: 512, maxRunning: 8, maxQueue: 64, targetITL: targetITL),
            workerCount: 1)
        core.workerStarted(0, hello: hello, at: .zero)
        var now = Duration.zero
        // Four 32-token prompts arriving one step apart, generating long: steps with prompts and decode-only steps.
        for _ in 0..<4 {
            _ = try core.submit(request(tokens: 32, maxTokens: 500), at: now)
            _ = step(&core, &now)
        }
        for _ in 0..<5 { _ = step(&core, &now) }
        let long = try core.submit(request(tokens: 1000, maxTokens: 2), at: now).id
        var carrying: [(SchedulerCore.StepPlan, Duration?)] = []
        while carrying.count < 50 {
            let plan = try #require(step(&core, &now))
            let estimate = core.estimatedStepCost(decodes: plan.step.decode.count, prefillTokens: plan.prefillTokens)
            guard plan.step.admit.contains(where: { $0.sequenceID == long }) else { break }
            carrying.append((plan, estimate))
        }
        return carrying
    }

    @Test("With target_itl the long prompt is split so that every step's estimated and true cost stays under it")
    func plannerKeepsStepsUnderTarget() throws {
        let target = Duration.milliseconds(100)
        let steps = try Self.longPromptSteps(targetITL: target)
        // 4 decodes take 18 ms, leaving 82 ms: 164 prompt tokens a step, so 1,000 tokens need 7 steps.
        #expect(steps.count == 7)
        for (plan, estimate) in steps {
            #expect(plan.step.decode.count == 4)
            let estimated = try #require(estimate)
            // Within a microsecond of rounding: the cap is a whole number of tokens under the target.
            #expect(estimated <= target + .microseconds(1))
            #expect(Self.trueCost(decodes: plan.step.decode.count, prefill: plan.prefillTokens) <= target)
        }
        #expect(steps.reduce(0) { $0 + $1.plan.prefillTokens } == 1000)
    }

    @Test("Without target_itl the same prompt goes in max_batch_tokens chunks, and its step takes far over 100 ms")
    func withoutTargetStepsAreLong() throws {
        let steps = try Self.longPromptSteps(targetITL: .zero)
        #expect(steps.count == 2)
        let first = try #require(steps.first)
        #expect(first.plan.prefillTokens == 508)
        #expect(Self.trueCost(decodes: 4, prefill: first.plan.prefillTokens) > .milliseconds(250))
    }

    @Test("Early refusal: a request that would wait past queue_timeout gets overloaded with the right Retry-After")
    func earlyRefusal() throws {
        // One running slot, one-token answers: each 1 s step admits exactly one request.
        var core = SchedulerCore(
            limits: SchedulerLimits(maxBatchTokens: 64, maxRunning: 1, maxQueue: 100, queueTimeout: .seconds(10)),
            workerCount: 1)
        core.workerStarted(0, hello: Self.hello, at: .zero)
        for _ in 0..<20 { _ = try core.submit(Self.request(tokens: 8, maxTokens: 1), at: .zero) }
        var now = Duration.zero
        func oneSecondStep() throws {
            let plan = try #require(core.planStep(for: 0, at: now).plan)
            #expect(plan.step.admit.count == 1)
            now += .seconds(1)
            _ = core.apply(Self.answer(plan), from: 0, at: now)
        }
        // No drain rate yet: nothing is refused early.
        #expect(core.estimatedWait(priority: 0, at: .zero) == nil)
        for _ in 0..<6 { try oneSecondStep() }
        // At 6 s: 6 admissions in 6 s, 14 waiting, so a new request would wait 15 s, 5 s over the timeout.
        #expect(core.waitingCount == 14)
        #expect(core.estimatedWait(priority: 0, at: now) == .seconds(15))
        do {
            _ = try core.submit(Self.request(tokens: 8, maxTokens: 1), at: now)
            Issue.record("a request that would wait 15 s was admitted under a 10 s queue timeout")
        } catch {
            #expect(error.code == .overloaded)
            #expect(error.httpStatus == 503)
            #expect(error.retryAfter == .seconds(5))
        }
        #expect(core.waitingCount == 14)
        // After 5 more steps 9 wait: a new request would start in 10 s, within the timeout, and is admitted.
        for _ in 0..<5 { try oneSecondStep() }
        #expect(core.waitingCount == 9)
        _ = try core.submit(Self.request(tokens: 8, maxTokens: 1), at: now)
        #expect(core.waitingCount == 10)
    }

    @Test("A burst after a quiet spell is judged by the rate while requests wait, not by the quiet spell")
    func burstAfterQuiet() throws {
        var core = SchedulerCore(
            limits: SchedulerLimits(maxBatchTokens: 64, maxRunning: 4, maxQueue: 100, queueTimeout: .seconds(10)),
            workerCount: 1)
        core.workerStarted(0, hello: Self.hello, at: .zero)
        var now = Duration.zero
        // One request every 5 s for a minute, each served at once: the queue empties every time.
        for _ in 0..<12 {
            _ = try core.submit(Self.request(tokens: 8, maxTokens: 1), at: now)
            let plan = try #require(core.planStep(for: 0, at: now).plan)
            now += .milliseconds(100)
            _ = core.apply(Self.answer(plan), from: 0, at: now)
            now += .milliseconds(4900)
        }
        // Then 30 at once: the arrival rate of the quiet minute (0.2/s) would put the last at 150 s.
        for _ in 0..<30 { _ = try core.submit(Self.request(tokens: 8, maxTokens: 1), at: now) }
        #expect(core.estimatedWait(priority: 0, at: now) == nil)
    }

    @Test("Requests of a higher priority count only those of their priority or above, and the resumed, as ahead")
    func countAheadByPriority() {
        var queue = WaitingQueue()
        for id: UInt64 in 1...5 {
            queue.push(WaitingSequence(id: id, tenant: "a", priority: 0, arrival: .zero, resumed: false))
        }
        for id: UInt64 in 6...7 {
            queue.push(WaitingSequence(id: id, tenant: "b", priority: 5, arrival: .zero, resumed: false))
        }
        queue.push(WaitingSequence(id: 8, tenant: "a", priority: 0, arrival: .zero, resumed: true))
        #expect(queue.countAhead(ofPriority: 0) == 8)
        #expect(queue.countAhead(ofPriority: 5) == 3)
        #expect(queue.countAhead(ofPriority: 9) == 1)
        queue.remove(6)
        #expect(queue.countAhead(ofPriority: 5) == 2)
    }
}
