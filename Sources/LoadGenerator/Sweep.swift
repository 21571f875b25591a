/// Finds the highest request rate that still meets the objectives: a closed-loop run at saturation, then open-loop
/// runs doubling up from a low rate until one fails, then a binary search between the last pass and the first fail.
public struct Sweep: Sendable {
    /// Runs one bounded load with the given shape.
    public typealias Step = @Sendable (LoadShape) async -> RunResult

    /// Clients of the saturation run.
    public var saturationConcurrency: Int
    /// Binary-search steps after the doubling.
    public var searchSteps: Int
    /// The search stops when the bracket is narrower than this share of its lower end.
    public var precision: Double

    /// Creates a sweep.
    public init(saturationConcurrency: Int = 64, searchSteps: Int = 6, precision: Double = 0.03) {
        self.saturationConcurrency = saturationConcurrency
        self.searchSteps = searchSteps
        self.precision = precision
    }

    /// One run and how it went.
    public struct Measured: Sendable {
        /// The step as reported.
        public var step: SweepStep
        /// The run itself.
        public var result: RunResult
    }

    /// Runs the sweep with `step`; stops early when the task is cancelled.
    public func run(step run: Step) async -> (steps: [Measured], saturation: Double, maxRate: Double?) {
        var measured: [Measured] = []
        func measure(_ shape: LoadShape, phase: String) async -> Bool {
            let result = await run(shape)
            measured.append(Measured(step: Self.step(result, phase: phase), result: result))
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
            request_throughput: result.requestThroughput, output_token_throughput: report.outputTokenThroughput,
            goodput: report.goodput, success_rate: result.successRate, ttft_ms: result.summary(.ttft),
            tpot_ms: result.summary(.tpot), e2e_ms: result.summary(.e2e))
    }
}
