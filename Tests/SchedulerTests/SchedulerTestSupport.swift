import Scheduler
import Synchronization
import Worker
import WorkerProtocol

/// A fake engine behind a lock, as an in-process worker: optional per-step delay, and a step count after
/// which the link "dies" (throws) like a crashed worker process.
final class FakeWorker: Sendable {
    struct Died: Error {}

    let engine: Mutex<FakeEngine>
    let stepDelay: Duration
    private let dieAfterSteps: Int?
    private let steps = Atomic<Int>(0)

    init(
        kvBlocks: Int = 256, blockSize: Int = 16, maxBatchTokens: Int = 256, maxRunning: Int = 16,
        stepDelay: Duration = .milliseconds(1), dieAfterSteps: Int? = nil
    ) {
        engine = Mutex(
            FakeEngine(
                kvBlocksTotal: kvBlocks, kvBlockSize: blockSize, maxBatchTokens: maxBatchTokens, maxRunning: maxRunning)
        )
        self.stepDelay = stepDelay
        self.dieAfterSteps = dieAfterSteps
    }

    var held: Int { engine.withLock { $0.held.count } }
    var violations: [String] { engine.withLock { $0.violations } }

    var link: InProcessWorkerLink {
        InProcessWorkerLink(hello: engine.withLock { $0.hello }) { step in
            try await Task.sleep(for: self.stepDelay)
            let count = self.steps.add(1, ordering: .relaxed).newValue
            if let limit = self.dieAfterSteps, count > limit { throw Died() }
            return self.engine.withLock { $0.handle(step) }
        }
    }
}

/// Runs `scheduler` while `body` runs, then cancels it.
func withRunning<T: Sendable>(
    _ scheduler: ModelScheduler, _ body: @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await scheduler.run() }
        defer { group.cancelAll() }
        return try await body()
    }
}

/// Collects a stream's tokens and its finish.
func collect(_ stream: GenerationStream) async -> (tokens: [Int32], finish: GenerationFinish?) {
    var tokens: [Int32] = []
    for await event in stream {
        switch event {
        case .token(let token): tokens.append(token.token)
        case .finished(let finish): return (tokens, finish)
        }
    }
    return (tokens, nil)
}

/// Waits until `condition` holds, polling every 5 ms for at most `limit`; returns whether it held. The limit is
/// generous because other suites' CPU-bound tests can hold the cooperative pool's threads for seconds.
func eventually(within limit: Duration = .seconds(120), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// A request for `prompt` that generates `maxTokens` tokens, ignoring the fake's end of sequence.
func request(_ prompt: [Int32], maxTokens: UInt32, tenant: String = "t", priority: Int = 0) -> GenerationRequest {
    GenerationRequest(
        promptTokens: prompt, sampling: GenerationSampling(maxTokens: maxTokens, ignoreEOS: true), tenant: tenant,
        priority: priority)
}

/// The error `scheduler` refuses `request` with, or nil when it accepts it.
func refusal(_ scheduler: ModelScheduler, _ request: GenerationRequest) -> SchedulerError? {
    do {
        _ = try scheduler.submit(request)
        return nil
    } catch {
        return error
    }
}
