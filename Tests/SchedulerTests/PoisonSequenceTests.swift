import Testing
import Worker
import WorkerProtocol

@testable import Scheduler

/// The scheduler's defences against one request taking a model down: the poison-sequence rule, steps planned to
/// fit the worker link, and the request timeout that holds even when no token arrives.
@Suite struct PoisonSequenceTests {
    static let prompts: [[Int32]] = (0..<5).map { i in [Int32(10 + i), 20, 30, Int32(40 + i)] }

    /// Runs `simulation` on its one worker until nothing is held; every step that carries `poison` kills the worker
    /// instead of answering, and a fresh worker starts in its place. Returns the number of deaths.
    func runKillingOn(_ poison: UInt64, _ simulation: inout Simulation, engine: () -> FakeEngine) -> Int {
        var deaths = 0
        for _ in 0..<10_000 where simulation.core.activeCount > 0 {
            guard let plan = simulation.core.planStep(for: 0, at: simulation.clock).plan else {
                simulation.clock += .milliseconds(1)
                simulation.record(simulation.core.tick(at: simulation.clock))
                continue
            }
            let suspects = plan.step.admit.filter { admission in
                admission.firstPosition == 0 && (simulation.core.sequences[admission.sequenceID]?.deaths ?? 0) > 0
            }
            #expect(suspects.count <= 1, "two suspects admitted in one step")
            if let suspect = suspects.first {
                #expect(plan.step.admit.first?.sequenceID == suspect.sequenceID, "a suspect joined after others")
            }
            if plan.step.runningSequences.contains(poison) {
                deaths += 1
                simulation.record(simulation.core.workerDied(0, at: simulation.clock))
                simulation.engines[0] = engine()
                simulation.core.workerStarted(0, hello: simulation.engines[0].hello, at: simulation.clock)
            } else {
                let result = simulation.engines[0].handle(plan.step)
                simulation.record(simulation.core.apply(result, from: 0, at: simulation.clock))
            }
            simulation.clock += .milliseconds(1)
        }
        return deaths
    }

    @Test(
        "A sequence in the batch of two worker deaths in a row fails with worker_failed; the rest finish",
        arguments: 0..<5)
    func poisonFails(poisonIndex: Int) {
        let engine = { FakeEngine(kvBlocksTotal: 64, kvBlockSize: 4, maxBatchTokens: 64, maxRunning: 8) }
        var simulation = Simulation(limits: SchedulerLimits(maxBatchTokens: 64, maxRunning: 8), engines: [engine()])
        let ids = Self.prompts.map { simulation.submit(request($0, maxTokens: 12))! }
        // Everyone starts together, so the first death has every sequence in its batch.
        let deaths = runKillingOn(ids[poisonIndex], &simulation, engine: engine)

        #expect(deaths == 2)
        #expect(simulation.core.poisoned == 1)
        #expect(simulation.core.activeCount == 0)
        #expect(simulation.failures.isEmpty, "\(simulation.failures.prefix(3))")
        for (index, id) in ids.enumerated() {
            if index == poisonIndex {
                guard case .error(let error) = simulation.finish(of: id)?.reason else {
                    Issue.record("the poison ended with \(String(describing: simulation.finish(of: id)))")
                    continue
                }
                #expect(error.code == .workerFailed)
                #expect(error.httpStatus == 500)
            } else {
                #expect(simulation.finish(of: id)?.reason == .length)
                #expect(
                    simulation.tokens(of: id)
                        == FakeEngine.expectedTokens(prompt: Self.prompts[index], maxTokens: 12, ignoreEOS: true))
            }
        }
    }

    @Test("A worker that dies between steps makes no suspects: its sequences are recomputed however often")
    func deathWithoutStepOut() {
        let engine = { FakeEngine(kvBlocksTotal: 64, kvBlockSize: 4, maxBatchTokens: 64, maxRunning: 8) }
        var simulation = Simulation(limits: SchedulerLimits(maxBatchTokens: 64, maxRunning: 8), engines: [engine()])
        let ids = Self.prompts.map { simulation.submit(request($0, maxTokens: 6))! }
        for _ in 0..<3 {
            simulation.round()
            #expect(simulation.core.workerDied(0, at: simulation.clock).deliveries.isEmpty)
            simulation.engines[0] = engine()
            simulation.core.workerStarted(0, hello: simulation.engines[0].hello, at: simulation.clock)
        }
        simulation.drain()
        #expect(simulation.core.poisoned == 0)
        for (index, id) in ids.enumerated() {
            #expect(simulation.finish(of: id)?.reason == .length)
            #expect(
                simulation.tokens(of: id)
                    == FakeEngine.expectedTokens(prompt: Self.prompts[index], maxTokens: 6, ignoreEOS: true))
        }
    }

    @Test("Steps stay within the link's size: large sampling parameters wait for a step of their own")
    func stepsFitTheLink() {
        // Each request's sampling parameters take about 8 KB; a step carries at most 12 KB, so two first chunks
        // never travel together.
        let limits = SchedulerLimits(maxBatchTokens: 64, maxRunning: 8, maxStepBytes: 12_000)
        var simulation = Simulation(
            limits: limits,
            engines: [FakeEngine(kvBlocksTotal: 64, kvBlockSize: 4, maxBatchTokens: 64, maxRunning: 8)])
        var ids: [UInt64] = []
        for prompt in Self.prompts {
            var big = request(prompt, maxTokens: 8)
            big.sampling.logitBias = (0..<1_000).map { TokenBias(token: Int32($0), bias: 0) }
            ids.append(simulation.submit(big)!)
        }
        var largest = 0
        var admissionsWithSampling: [Int] = []
        for _ in 0..<1_000 where simulation.core.activeCount > 0 {
            guard let plan = simulation.core.planStep(for: 0, at: simulation.clock).plan else {
                simulation.clock += .milliseconds(1)
                continue
            }
            largest = max(largest, plan.step.encodedSize)
            #expect(plan.step.encodedSize == plan.step.encoded().count)
            admissionsWithSampling.append(plan.step.admit.count { $0.sampling != nil })
            let result = simulation.engines[0].handle(plan.step)
            simulation.record(simulation.core.apply(result, from: 0, at: simulation.clock))
            simulation.clock += .milliseconds(1)
        }
        #expect(largest <= 12_000)
        #expect(largest > 8_000)
        #expect(admissionsWithSampling.max() == 1)
        #expect(simulation.failures.isEmpty, "\(simulation.failures.prefix(3))")
        for (index, id) in ids.enumerated() {
            #expect(
                simulation.tokens(of: id)
                    == FakeEngine.expectedTokens(prompt: Self.prompts[index], maxTokens: 8, ignoreEOS: true))
        }
    }

    @Test("Sampling parameters that could never fit a step are refused at submission")
    func oversizedRefused() {
        var simulation = Simulation(
            limits: SchedulerLimits(maxBatchTokens: 64, maxRunning: 8, maxStepBytes: 4_096),
            engines: [FakeEngine(kvBlocksTotal: 64, kvBlockSize: 4, maxBatchTokens: 64, maxRunning: 8)])
        var big = request([1, 2, 3], maxTokens: 4)
        big.sampling.logitBias = (0..<1_000).map { TokenBias(token: Int32($0), bias: 0) }
        #expect(simulation.submit(big) == nil)
        #expect(simulation.refusals[.invalidRequest] == 1)
        #expect(simulation.submit(request([1, 2, 3], maxTokens: 4)) != nil)
    }

    @Test("A request past its timeout ends with request_timeout while waiting and while running")
    func requestTimeout() {
        var simulation = Simulation(
            limits: SchedulerLimits(maxBatchTokens: 64, maxRunning: 1),
            engines: [FakeEngine(kvBlocksTotal: 64, kvBlockSize: 4, maxBatchTokens: 64, maxRunning: 1)])
        var running = request([1, 2, 3], maxTokens: 100)
        running.timeout = .milliseconds(20)
        var waiting = request([4, 5, 6], maxTokens: 4)
        waiting.timeout = .milliseconds(10)
        let runningID = simulation.submit(running)!
        let waitingID = simulation.submit(waiting)!
        let patient = simulation.submit(request([7, 8, 9], maxTokens: 4))!
        simulation.drain(limit: 10_000)

        for id in [runningID, waitingID] {
            guard case .error(let error) = simulation.finish(of: id)?.reason else {
                Issue.record("request \(id) ended with \(String(describing: simulation.finish(of: id)))")
                continue
            }
            #expect(error.code == .requestTimeout)
            #expect(error.httpStatus == 504)
        }
        #expect(simulation.tokens(of: runningID).count < 100)
        #expect(simulation.tokens(of: waitingID).isEmpty)
        #expect(simulation.finish(of: patient)?.reason == .length)
        #expect(simulation.engines[0].held[runningID] == nil, "the timed-out sequence's KV blocks were not released")
        #expect(simulation.failures.isEmpty, "\(simulation.failures.prefix(3))")
    }
}
