import BatchgateTestSupport
import Foundation
import Glibc
import InferenceCore
import Scheduler
import Synchronization
import Testing
import WorkerProtocol
import WorkerTransport

/// The scheduler driving real `batchgate worker` processes over shared memory on `model create`-style models.
@Suite(.serialized)
struct WorkerProcessSchedulingTests {
    /// Eight distinct five-token prompts inside the tiny models' 512-token vocabulary.
    static let prompts: [[Int32]] = (0..<8).map { (i: Int32) -> [Int32] in
        let a: Int32 = 20 + 3 * i
        let b: Int32 = 100 + 11 * i
        return [1, a, 40 + i, 7, b]
    }

    func launcher(model: String, kvCacheMiB: Int, limits: SchedulerLimits) throws -> WorkerProcessLauncher {
        WorkerProcessLauncher(
            executable: try WorkerSupport.executable(),
            arguments: WorkerArguments(
                modelPath: model, modelName: "tiny", threads: 1, kvCacheMiB: kvCacheMiB,
                maxBatchTokens: limits.maxBatchTokens),
            ringCapacity: 1 << 16, helloTimeout: .seconds(60), stalenessBound: .seconds(30))
    }

    func scheduler(model: String, workers: Int, kvCacheMiB: Int, limits: SchedulerLimits) throws -> ModelScheduler {
        let launcher = try launcher(model: model, kvCacheMiB: kvCacheMiB, limits: limits)
        return ModelScheduler(
            model: "tiny", limits: limits, workers: workers, launcher: launcher,
            restartBackoff: .milliseconds(50)...(.seconds(1)), tickInterval: .milliseconds(20))
    }

    /// Greedy continuations of `prompts`, each run alone on an in-process engine with room to spare.
    func aloneTokens(model: String, prompts: [[Int32]], maxTokens: Int) throws -> [[Int32]] {
        var options = EngineOptions()
        options.threads = 1
        options.kvCacheMiB = 16
        let engine = Engine(weights: try ModelWeights(path: model), options: options)
        return try prompts.enumerated().map { index, prompt in
            try WorkerSupport.greedy(engine, prompt, count: maxTokens, sequence: UInt64(index + 1))
        }
    }

    /// Runs every prompt as a greedy stream of `maxTokens` tokens and returns each stream's tokens and finish.
    func runStreams(
        _ scheduler: ModelScheduler, prompts: [[Int32]], maxTokens: UInt32
    ) async throws -> [(tokens: [Int32], finish: GenerationFinish?)] {
        try await withRunning(scheduler) {
            try await withThrowingTaskGroup(of: (Int, [Int32], GenerationFinish?).self) { group in
                for (index, prompt) in prompts.enumerated() {
                    let stream = try scheduler.submit(
                        GenerationRequest(
                            promptTokens: prompt, sampling: GenerationSampling(maxTokens: maxTokens, ignoreEOS: true),
                            tenant: "t"))
                    group.addTask {
                        var tokens: [Int32] = []
                        for await event in stream {
                            switch event {
                            case .token(let token):
                                tokens.append(token.token)
                            case .finished(let finish):
                                return (index, tokens, finish)
                            }
                        }
                        return (index, tokens, nil)
                    }
                }
                var results: [(tokens: [Int32], finish: GenerationFinish?)] = Array(
                    repeating: ([], nil), count: prompts.count)
                for try await (index, tokens, finish) in group {
                    #expect(finish?.reason == .length, "stream \(index) ended with \(String(describing: finish))")
                    results[index] = (tokens, finish)
                }
                return results
            }
        }
    }

    @Test("SIGKILL of a worker during 8 greedy streams: every stream completes with the tokens of an undisturbed run")
    func workerKilledMidStream() async throws {
        let model = try WorkerSupport.tinyModel(type: .f32)
        defer { try? FileManager.default.removeItem(atPath: (model as NSString).deletingLastPathComponent) }
        let limits = SchedulerLimits(maxBatchTokens: 256, maxRunning: 8)
        let maxTokens: UInt32 = 24

        let undisturbed = try await runStreams(
            try scheduler(model: model, workers: 2, kvCacheMiB: 4, limits: limits), prompts: Self.prompts,
            maxTokens: maxTokens
        ).map(\.tokens)
        let expected = try aloneTokens(model: model, prompts: Self.prompts, maxTokens: Int(maxTokens))
        #expect(undisturbed == expected)

        // The first worker process to send its sixth step is SIGKILLed as it goes out: it holds running sequences
        // then (steps go only to a worker with work), each with at least 18 of its 24 tokens to go.
        let killer = KillingLauncher(
            inner: try launcher(model: model, kvCacheMiB: 4, limits: limits), killAtStep: 6)
        let disturbed = ModelScheduler(
            model: "tiny", limits: limits, workers: 2, launcher: killer,
            restartBackoff: .milliseconds(50)...(.seconds(1)), tickInterval: .milliseconds(20))
        let results = try await runStreams(disturbed, prompts: Self.prompts, maxTokens: maxTokens)
        let victim = killer.victim
        #expect(victim > 0)
        #expect(results.map(\.tokens) == undisturbed)
        #expect(disturbed.snapshot.workerRestarts == 1)
        // Some streams were recomputed from their prompt plus the tokens they had.
        #expect(results.contains { ($0.finish?.recomputations ?? 0) > 0 })
        // The killed worker was reaped: nothing of it is left.
        #expect(!WorkerSupport.isRunning(victim))
    }

    @Test("A KV cache too small for all running sequences preempts, and every request gets identical greedy tokens")
    func preemptionWithARealEngine() async throws {
        // 4 layers × K and V × 256 dims × 2 bytes = 4 KiB a token: a 1 MiB cache holds 256 tokens (16 blocks),
        // while 8 sequences of 5 + 40 tokens need 24 blocks.
        let model = try WorkerSupport.tinyModel(
            embedding: 256, layers: 4, heads: 4, kvHeads: 4, feedForward: 256, type: .f32)
        defer { try? FileManager.default.removeItem(atPath: (model as NSString).deletingLastPathComponent) }
        let limits = SchedulerLimits(maxBatchTokens: 256, maxRunning: 8)
        let scheduler = try scheduler(model: model, workers: 1, kvCacheMiB: 1, limits: limits)
        let tokens = try await runStreams(scheduler, prompts: Self.prompts, maxTokens: 40).map(\.tokens)
        #expect(scheduler.snapshot.preemptions > 0)
        #expect(tokens == (try aloneTokens(model: model, prompts: Self.prompts, maxTokens: 40)))
    }
}

/// Launches real worker processes, and SIGKILLs the first process that is about to send its `killAtStep`-th
/// step (the step then fails as it would after a crash); only one process is ever killed.
final class KillingLauncher: WorkerLauncher {
    let inner: WorkerProcessLauncher
    let killAtStep: Int
    private let killed = Mutex<pid_t>(0)

    init(inner: WorkerProcessLauncher, killAtStep: Int) {
        self.inner = inner
        self.killAtStep = killAtStep
    }

    /// The pid that was killed (0 before the kill).
    var victim: pid_t { killed.withLock { $0 } }
    var maxStepBytes: Int { inner.maxStepBytes }

    /// Kills `pid` unless a process was killed already.
    func kill(_ pid: pid_t) {
        let first = killed.withLock { victim in
            guard victim == 0 else { return false }
            victim = pid
            return true
        }
        if first { _ = Glibc.kill(pid, SIGKILL) }
    }

    func launch(index: Int) async throws -> any WorkerLink {
        let link = try await inner.launch(index: index)
        guard victim == 0, let process = link as? ProcessWorkerLink else { return link }
        return KillingLink(inner: process, launcher: self)
    }
}

/// A process link that has its launcher kill the process before sending step number `killAtStep`.
final class KillingLink: WorkerLink {
    let inner: ProcessWorkerLink
    let launcher: KillingLauncher
    private let steps = Atomic<Int>(0)

    init(inner: ProcessWorkerLink, launcher: KillingLauncher) {
        self.inner = inner
        self.launcher = launcher
    }

    func hello() async throws -> Hello { try await inner.hello() }

    func step(_ step: Step) async throws -> StepResult {
        if steps.add(1, ordering: .relaxed).newValue == launcher.killAtStep { launcher.kill(inner.pid) }
        return try await inner.step(step)
    }

    func stop() async { await inner.stop() }
}
