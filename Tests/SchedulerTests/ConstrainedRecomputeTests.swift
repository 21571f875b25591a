import BatchgateTestSupport
import Foundation
import InferenceCore
import Scheduler
import Synchronization
import Testing
import Worker
import WorkerProtocol

/// Structured output across a worker's death: the restarted worker's grammar reads what was generated before, so the
/// stream goes on as if nothing had happened.
@Suite("Constrained streams across worker restarts")
struct ConstrainedRecomputeTests {
    /// Counts a link's steps.
    final class StepCount: Sendable {
        private let count = Mutex(0)
        func next() -> Int {
            count.withLock {
                $0 += 1; return $0
            }
        }
    }

    /// An in-process worker running the real engine on the model at `path`; it dies (throws) after `dieAfter` steps.
    static func link(path: String, dieAfter: Int?) throws -> InProcessWorkerLink {
        var options = EngineOptions()
        options.threads = 1
        options.kvCacheMiB = 4
        let executor = Mutex(StepExecutor(engine: Engine(weights: try ModelWeights(path: path), options: options)))
        let hello = executor.withLock { $0.hello(modelName: "tiny", maxBatchTokens: 256) }
        let steps = StepCount()
        return InProcessWorkerLink(hello: hello) { step in
            if let dieAfter, steps.next() > dieAfter { throw FakeWorker.Died() }
            return executor.withLock { $0.handle(step) }
        }
    }

    /// The tokens and finish of one greedy constrained request on a scheduler whose first worker dies after
    /// `dieAfter` steps (nil: never).
    static func run(path: String, schema: String, dieAfter: Int?) async throws -> ([Int32], GenerationFinish?) {
        let incarnations = Mutex(0)
        let scheduler = ModelScheduler(
            model: "tiny", limits: SchedulerLimits(maxBatchTokens: 256, maxRunning: 4, maxQueue: 8), workers: 1,
            launcher: InProcessWorkerLauncher { _ in
                let first = incarnations.withLock {
                    $0 += 1; return $0 == 1
                }
                return try Self.link(path: path, dieAfter: first ? dieAfter : nil)
            }, restartBackoff: .milliseconds(10)...(.milliseconds(50)), tickInterval: .milliseconds(10))
        return try await withRunning(scheduler) {
            let stream = try scheduler.submit(
                GenerationRequest(
                    promptTokens: [1, 450, 334, 29],
                    sampling: GenerationSampling(maxTokens: 120, constraint: .jsonSchema(schema))))
            return await collect(stream)
        }
    }

    @Test("A greedy constrained stream gives the same tokens when its worker dies mid-output and is restarted")
    func sameTokensAfterRestart() async throws {
        let path = try WorkerSupport.tinyModel()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let schema =
            #"{"type":"object","properties":{"word":{"type":"string","minLength":6,"maxLength":10},"#
            + #""n":{"type":"integer","minimum":100,"maximum":999}},"required":["word","n"]}"#
        let (expected, expectedFinish) = try await Self.run(path: path, schema: schema, dieAfter: nil)
        #expect(expectedFinish?.reason == .stop)
        try #require(expected.count > 8, "the output is too short to die in the middle of: \(expected)")
        let (tokens, finish) = try await Self.run(path: path, schema: schema, dieAfter: 6)
        #expect(tokens == expected)
        #expect(finish?.reason == .stop)
        #expect((finish?.recomputations ?? 0) >= 1, "the worker did not die mid-output")
    }
}
