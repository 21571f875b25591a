import Basics

/// Finds the highest request rate that still meets the objectives: a closed-loop run at saturation, then open-loop
/// runs doubling up from a low rate until one fails, then a binary search between the last pass and the first fail.
/// Before a step that follows one which may have left work queued on the target (the saturation step, a failed step,
/// a step with failed requests), the sweep waits for the target to drain.
public struct Sweep: Sendable {
    /// Runs one bounded load with the given shape.
    public typealias Step = @Sendable (LoadShape) async -> RunResult
    /// Waits until the target has worked off what the previous step left queued on it.
    public typealias Drain = @Sendable () async -> DrainOutcome

    /// Clients of the saturation run.
    public var saturationConcurrency: Int
    /// Binary-search steps after the doubling.
    public var searchSteps: Int
    /// The search stops when the bracket is narrower than this share of its lower end.
    public var precision: Double
    /// Every step goes on past its duration until it has sent this many requests, so that a low-rate step is not
    /// judged on a handful of them.
    public var minimumStepRequests: Int
    /// …but a step lasts at most this many times its duration.
    public var maximumStretch: Int
    /// The longest wait for the target to drain between two steps; zero turns the wait off.
    public var drainLimit: Duration

    /// Creates a sweep.
    public init(
        saturationConcurrency: Int = 64, searchSteps: Int = 6, precision: Double = 0.03, minimumStepRequests: Int = 20,
        maximumStretch: Int = 10, drainLimit: Duration = .seconds(60)
    ) {
        self.saturationConcurrency = saturationConcurrency
        self.searchSteps = searchSteps
        self.precision = precision
        self.minimumStepRequests = minimumStepRequests
        self.maximumStretch = maximumStretch
        self.drainLimit = drainLimit
    }

    /// One run and how it went.
    public struct Measured: Sendable {
        /// The step as reported.
        public var step: SweepStep
        /// The run itself.
        public var result: RunResult
    }

    /// Runs the sweep with `step`, calling `drain` (when given) before every step that follows one which may have
    /// left a backlog on the target; stops early when the task is cancelled.
    public func run(step run: Step, drain: Drain? = nil) async -> (
        steps: [Measured], saturation: Double, maxRate: Double?
    ) {
        var measured: [Measured] = []
        func measure(_ shape: LoadShape, phase: String) async -> Bool {
            var waited: DrainOutcome?
            if let drain, let previous = measured.last, Self.mayLeaveBacklog(previous) {
                waited = await drain()
            }
            let result = await run(shape)
            var step = Self.step(result, phase: phase)
            step.drain_s = waited?.waited.inSeconds
            step.drained = waited?.drained
            measured.append(Measured(step: step, result: result))
            return result.meetsServiceLevels
        }
        _ = await measure(.concurrency(saturationConcurrency), phase: "saturation")
        let saturation = measured[0].result.requestThroughput
        guard saturation > 0, !Task.isCancelled else { return (measured, saturation, nil) }
        var passed: Double?
        var failed: Double?
        var rate = saturation / 8
        while failed == nil, !Task.isCancelled, rate <= saturation * 64 {
            if await measure(.rate(rate, poisson: false), phase: "doubling") { passed = rate } else { failed = rate }
            rate *= 2
        }
        guard var high = failed else { return (measured, saturation, passed) }
        var low = passed ?? 0
        for _ in 0..<searchSteps where !Task.isCancelled && (low == 0 || (high - low) / low > precision) {
            let middle = (low + high) / 2
            if await measure(.rate(middle, poisson: false), phase: "search") { low = middle } else { high = middle }
        }
        return (measured, saturation, low > 0 ? low : nil)
    }

    /// Whether a step may have left requests queued on the target: the saturation step (its clients kept the
    /// target's queue full to the end), a step that failed its objectives (the target fell behind), and any step
    /// with a failed request (one the generator gave up on may still be queued there).
    static func mayLeaveBacklog(_ previous: Measured) -> Bool {
        previous.step.phase == "saturation" || !previous.step.passed || previous.result.requestsFailed > 0
    }

    /// The reported form of a run.
    static func step(_ result: RunResult, phase: String) -> SweepStep {
        var rate: Double?
        var clients: Int?
        switch result.shape {
        case .rate(let value, _): rate = value
        case .concurrency(let value): clients = value
        }
        let report = result.reportFigures
        return SweepStep(
            phase: phase, rate: rate, concurrency: clients, passed: result.meetsServiceLevels,
            requests_sent: result.requestsSent, requests_completed: result.requestsCompleted,
            duration_s: result.durationSeconds, request_throughput: result.requestThroughput,
            output_token_throughput: report.outputTokenThroughput, goodput: report.goodput,
            success_rate: result.successRate, errors: result.errorsByKind, ttft_ms: result.summary(.ttft),
            tpot_ms: result.summary(.tpot), e2e_ms: result.summary(.e2e))
    }
}
