import BatchgateTestSupport
import Foundation
import Glibc
import Scheduler
import Synchronization
import Testing
import WorkerProtocol
import WorkerTransport

extension WorkerProcessSchedulingTests {
    @Test("A request that kills every worker it runs on fails with worker_failed; the streams beside it complete")
    func poisonRequestWithRealWorkers() async throws {
        let model = try WorkerSupport.tinyModel(type: .f32)
        defer { try? FileManager.default.removeItem(atPath: (model as NSString).deletingLastPathComponent) }
        let limits = SchedulerLimits(maxBatchTokens: 256, maxRunning: 8)
        let maxTokens: UInt32 = 16
        let innocent = Array(Self.prompts.prefix(4))
        let poison: [Int32] = [1, PoisonLauncher.marker, 7, 7]
        let expected = try aloneTokens(model: model, prompts: innocent, maxTokens: Int(maxTokens))

        let launcher = PoisonLauncher(inner: try launcher(model: model, kvCacheMiB: 4, limits: limits))
        let scheduler = ModelScheduler(
            model: "tiny", limits: limits, workers: 1, launcher: launcher,
            restartBackoff: .milliseconds(50)...(.seconds(1)), tickInterval: .milliseconds(20))
        try await withRunning(scheduler) {
            // Every request is queued before the worker says hello, so the first step carries all five.
            let poisonStream = try scheduler.submit(
                GenerationRequest(promptTokens: poison, sampling: GenerationSampling(maxTokens: maxTokens)))
            let streams = try innocent.map { prompt in
                try scheduler.submit(
                    GenerationRequest(
                        promptTokens: prompt, sampling: GenerationSampling(maxTokens: maxTokens, ignoreEOS: true)))
            }
            let poisoned = await collect(poisonStream)
            guard case .error(let error) = poisoned.finish?.reason else {
                Issue.record("the poison request ended with \(String(describing: poisoned.finish))")
                return
            }
            #expect(error.code == .workerFailed)
            #expect(poisoned.tokens.isEmpty)
            for (index, stream) in streams.enumerated() {
                let (tokens, finish) = await collect(stream)
                #expect(finish?.reason == .length)
                #expect(tokens == expected[index], "stream \(index)")
            }
            // Two deaths, then no more: the model serves the next request on the worker that is up.
            #expect(launcher.kills == 2)
            #expect(await eventually(within: .seconds(60)) { scheduler.snapshot.liveWorkers == 1 })
            let after = await collect(
                try scheduler.submit(
                    GenerationRequest(
                        promptTokens: innocent[0], sampling: GenerationSampling(maxTokens: 4, ignoreEOS: true))))
            #expect(after.tokens == Array(expected[0].prefix(4)))
            #expect(launcher.kills == 2)
            #expect(scheduler.snapshot.workerRestarts == 2)
        }
    }

    @Test("Requests whose sampling parameters fill the ring go out in steps of their own, not one that cannot fit")
    func largeSamplingParametersSplitSteps() async throws {
        let model = try WorkerSupport.tinyModel(type: .f32)
        defer { try? FileManager.default.removeItem(atPath: (model as NSString).deletingLastPathComponent) }
        let limits = SchedulerLimits(maxBatchTokens: 256, maxRunning: 8)
        // The test launcher's rings take 32 KiB records; each request's logit biases take 24 KB, so the five
        // first chunks that once travelled in one step of 120 KB must each go alone.
        let launcher = try launcher(model: model, kvCacheMiB: 4, limits: limits)
        #expect(launcher.maxStepBytes < 2 * 24_000)
        let scheduler = ModelScheduler(
            model: "tiny", limits: limits, workers: 1, launcher: launcher,
            restartBackoff: .milliseconds(50)...(.seconds(1)), tickInterval: .milliseconds(20))
        let prompts = Array(Self.prompts.prefix(5))
        let expected = try aloneTokens(model: model, prompts: prompts, maxTokens: 8)
        try await withRunning(scheduler) {
            let streams = try prompts.map { prompt in
                try scheduler.submit(
                    GenerationRequest(
                        promptTokens: prompt,
                        sampling: GenerationSampling(
                            logitBias: (0..<3_000).map { TokenBias(token: Int32($0), bias: 0) }, maxTokens: 8,
                            ignoreEOS: true)))
            }
            for (index, stream) in streams.enumerated() {
                let (tokens, finish) = await collect(stream)
                #expect(finish?.reason == .length, "stream \(index): \(String(describing: finish))")
                #expect(tokens == expected[index], "stream \(index)")
            }
        }
        #expect(scheduler.snapshot.workerRestarts == 0)
    }
}

/// Launches real worker processes and SIGKILLs one just before it would run a step that admits a prompt whose
/// second token is `marker`: a stand-in for a request that crashes the engine, seen by the supervisor as a real death.
final class PoisonLauncher: WorkerLauncher {
    /// The token that marks the poison prompt.
    static let marker: Int32 = 333
    let inner: WorkerProcessLauncher
    private let killed = Atomic<Int>(0)

    init(inner: WorkerProcessLauncher) {
        self.inner = inner
    }

    /// Worker processes killed so far.
    var kills: Int { killed.load(ordering: .relaxed) }
    var maxStepBytes: Int { inner.maxStepBytes }

    func launch(index: Int) async throws -> any WorkerLink {
        let link = try await inner.launch(index: index)
        guard let process = link as? ProcessWorkerLink else { return link }
        return PoisonLink(inner: process, launcher: self)
    }

    fileprivate func killing(_ pid: pid_t) {
        killed.add(1, ordering: .relaxed)
        _ = Glibc.kill(pid, SIGKILL)
    }
}

/// A process link whose process dies on any step that admits the poison prompt.
final class PoisonLink: WorkerLink {
    let inner: ProcessWorkerLink
    let launcher: PoisonLauncher

    init(inner: ProcessWorkerLink, launcher: PoisonLauncher) {
        self.inner = inner
        self.launcher = launcher
    }

    func hello() async throws -> Hello { try await inner.hello() }

    func step(_ step: Step) async throws -> StepResult {
        let poisoned = step.admit.contains { admission in
            admission.firstPosition == 0 && admission.tokens.count > 1 && admission.tokens[1] == PoisonLauncher.marker
        }
        if poisoned { launcher.killing(inner.pid) }
        return try await inner.step(step)
    }

    func stop() async { await inner.stop() }
}

extension WorkerProcessSchedulingTests {
    @Test("A worker that dies while idle is noticed within seconds and restarted, without a request to find it")
    func idleWorkerDeath() async throws {
        let model = try WorkerSupport.tinyModel(type: .f32)
        defer { try? FileManager.default.removeItem(atPath: (model as NSString).deletingLastPathComponent) }
        let scheduler = try scheduler(
            model: model, workers: 1, kvCacheMiB: 4, limits: SchedulerLimits(maxBatchTokens: 256, maxRunning: 8))
        try await withRunning(scheduler) {
            #expect(await eventually(within: .seconds(60)) { scheduler.snapshot.liveWorkers == 1 })
            let link = try #require(scheduler.link(ofWorker: 0) as? ProcessWorkerLink)
            kill(link.pid, SIGKILL)
            let killed = ContinuousClock.now
            #expect(await eventually(within: .seconds(10)) { scheduler.snapshot.workerRestarts == 1 })
            #expect(ContinuousClock.now - killed < .seconds(5), "the death was noticed late")
            #expect(await eventually(within: .seconds(60)) { scheduler.snapshot.liveWorkers == 1 })
            let answer = await collect(
                try scheduler.submit(
                    GenerationRequest(
                        promptTokens: Self.prompts[0], sampling: GenerationSampling(maxTokens: 4, ignoreEOS: true))))
            #expect(answer.tokens.count == 4)
        }
    }
}
