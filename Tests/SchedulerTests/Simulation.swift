import Basics
import InferenceCore
import Worker
import WorkerProtocol

@testable import Scheduler

/// The seeded generator the simulations draw from (Basics' SplitMix64), so every run is repeatable.
typealias SeededGenerator = SplitMix64

/// Drives a `SchedulerCore` against fake engines on a virtual clock, checking the scheduling invariants at
/// every step and recording every event each request receives.
struct Simulation: ~Copyable {
    var core: SchedulerCore
    var engines: [FakeEngine]
    var clock: Duration = .zero
    var requests: [UInt64: GenerationRequest] = [:]
    var events: [UInt64: [GenerationEvent]] = [:]
    var refusals: [SchedulerError.Code: Int] = [:]
    var failures: [String] = []
    /// Every step sent, in order.
    var steps: [Step] = []
    /// Virtual cost of a step: a fixed part plus a part per token.
    var stepBase: Duration = .microseconds(500)
    var stepPerToken: Duration = .microseconds(20)

    init(limits: SchedulerLimits, engines: [FakeEngine]) {
        core = SchedulerCore(limits: limits, workerCount: engines.count)
        self.engines = engines
        for (index, engine) in engines.enumerated() { core.workerStarted(index, hello: engine.hello, at: .zero) }
    }

    /// Submits `request` as arrived at `arrival` (default: now; an earlier instant stands for an arrival
    /// during the step that just ran).
    mutating func submit(_ request: GenerationRequest, arrivedAt arrival: Duration? = nil) -> UInt64? {
        do {
            let id = try core.submit(request, at: arrival ?? clock).id
            requests[id] = request
            return id
        } catch {
            refusals[error.code, default: 0] += 1
            return nil
        }
    }

    mutating func cancel(_ id: UInt64) { record(core.cancel(id)) }

    /// Records the stream events among `actions` (the rest are the shell's, which this drives itself).
    mutating func record(_ actions: [SchedulerCore.Action]) {
        for delivery in actions.deliveries {
            if case .finished = events[delivery.id]?.last {
                failures.append("request \(delivery.id) got \(delivery.event) after its finish")
            }
            events[delivery.id, default: []].append(delivery.event)
        }
    }

    /// Every live worker plans and runs one step; the clock moves by the slowest step (or a tick when idle).
    mutating func round() {
        var elapsed = Duration.microseconds(100)
        for index in engines.indices where core.isLive(index) {
            let waitingBefore = core.queue.allIDs.compactMap { core.sequences[$0] }
            guard let plan = core.planStep(for: index, at: clock).plan else {
                if core.waitingCount > 0 {
                    failures.append("worker \(index) idles while \(core.waitingCount) requests wait at \(clock)")
                }
                continue
            }
            checkPriorities(plan, waitingBefore: waitingBefore)
            if plan.step.encodedSize > core.limits.maxStepBytes {
                failures.append("a step of \(plan.step.encodedSize) bytes; the link takes \(core.limits.maxStepBytes)")
            }
            steps.append(plan.step)
            let result = engines[index].handle(plan.step)
            let tokens = plan.prefillTokens + plan.step.decode.count
            elapsed = max(elapsed, stepBase + stepPerToken * tokens)
            record(core.apply(result, from: index, at: clock + elapsed))
        }
        clock += elapsed
        record(core.tick(at: clock))
        for engine in engines where !engine.violations.isEmpty {
            failures += engine.violations
        }
    }

    /// No new request is admitted while a new request of a higher priority keeps waiting.
    private mutating func checkPriorities(_ plan: SchedulerCore.StepPlan, waitingBefore: [SchedulerCore.Sequence]) {
        let admittedNew = plan.step.admit.filter { $0.sampling != nil && $0.firstPosition == 0 }.compactMap {
            core.sequences[$0.sequenceID]
        }.filter { $0.recomputations == 0 }
        guard let lowest = admittedNew.map(\.request.priority).min() else { return }
        let stillWaiting = waitingBefore.filter { core.isWaiting($0.id) && $0.recomputations == 0 }
        if let higher = stillWaiting.first(where: { $0.request.priority > lowest }) {
            failures.append(
                "priority \(lowest) admitted while \(higher.id) of priority \(higher.request.priority) waits")
        }
    }

    /// Runs rounds until nothing is held (or `limit` rounds pass).
    mutating func drain(limit: Int = 1_000_000) {
        var rounds = 0
        while core.activeCount > 0 && rounds < limit {
            round()
            rounds += 1
        }
    }

    /// The finish of request `id`, if it has one.
    func finish(of id: UInt64) -> GenerationFinish? {
        guard case .finished(let finish) = events[id]?.last else { return nil }
        return finish
    }

    /// The tokens request `id` received.
    func tokens(of id: UInt64) -> [Int32] {
        (events[id] ?? []).compactMap { event in
            if case .token(let token) = event { return token.token }
            return nil
        }
    }
}
