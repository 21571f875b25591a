import Benchmark
import Scheduler
import WorkerProtocol

/// A core with 256 sequences decoding on one worker and 1,000 requests of four tenants and three priorities
/// waiting, plus the worker's answer to a step of all 256 decodes (the same tokens every time).
struct SteadyState: ~Copyable {
    /// The core (`~Copyable`, so it is held here rather than in a tuple).
    var core: SchedulerCore
    /// The worker's answer to each step.
    let answer: StepResult
}

/// Builds the steady state: submits 1,256 requests and prefills until 256 of them decode.
func steadyState() -> SteadyState {
    let limits = SchedulerLimits(maxBatchTokens: 512, maxRunning: 256, maxQueue: 2000, queueTimeout: .seconds(3600))
    var core = SchedulerCore(limits: limits, workerCount: 1)
    let hello = Hello(
        processID: 1, modelName: "bench", architecture: "llama", vocabularySize: 32000, contextLength: 1_000_000,
        kvBlockSize: 16, kvBlocksTotal: 1_000_000, maxBatchTokens: 512)
    core.workerStarted(0, hello: hello, at: .zero)
    for index in 0..<1256 {
        let request = GenerationRequest(
            promptTokens: Array(repeating: 7, count: 64), sampling: GenerationSampling(maxTokens: 100_000),
            tenant: "tenant-\(index % 4)", priority: index % 3)
        _ = try? core.submit(request, at: .zero)
    }
    // Prefill until 256 sequences decode.
    var now = Duration.zero
    var running: [UInt64] = []
    while case .sendStep(let plan, _)? = core.planStep(for: 0, at: now).last {
        let producing = plan.step.admit.filter(\.isLastChunk).map(\.sequenceID) + plan.step.decode
        running = producing
        let result = StepResult(
            stepID: plan.step.stepID,
            tokens: producing.map { SampledToken(sequenceID: $0, token: 42, kvBlocksHeld: 5) })
        _ = core.apply(result, from: 0, at: now)
        now += .milliseconds(10)
        if plan.step.admit.isEmpty { break }
    }
    let answer = StepResult(
        stepID: 0, tokens: running.map { SampledToken(sequenceID: $0, token: 42, kvBlocksHeld: 5) })
    return SteadyState(core: core, answer: answer)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal], maxDuration: .seconds(5))

    Benchmark(
        "Scheduler step: plan + apply, 256 running, 1,000 waiting",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        var state = steadyState()
        precondition(state.core.runningCount == 256 && state.core.waitingCount == 1000, "unexpected steady state")
        var now = Duration.seconds(10)
        // One step outside the measurement, as a warm-up.
        blackHole(state.core.planStep(for: 0, at: now))
        blackHole(state.core.apply(state.answer, from: 0, at: now))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let plan = state.core.planStep(for: 0, at: now)
            blackHole(plan)
            blackHole(state.core.apply(state.answer, from: 0, at: now))
            now += .milliseconds(10)
        }
        benchmark.stopMeasurement()
        precondition(
            state.core.runningCount == 256 && state.core.waitingCount == 1000, "the steady state changed")
    }
}
