/// What the dashboard samples each second, read from the same registry `/metrics` renders: cumulative counters and
/// current gauges per model and per key. Rates come from the difference of two ticks.
struct DashboardTick: Sendable {
    /// Seconds since 1970.
    var time: Double
    /// By model name.
    var models: [String: ModelFigures] = [:]
    /// By key name.
    var keys: [String: KeyFigures] = [:]

    /// One model's figures.
    struct ModelFigures: Sendable {
        var waiting = 0.0
        var running = 0.0
        var kvUsage = 0.0
        var requests = 0.0
        var promptTokens = 0.0
        var generationTokens = 0.0
        var stepSeconds = 0.0
        var steps = 0.0
        var prefixHitTokens = 0.0
        var restarts = 0.0
        var preemptions = 0.0
        /// By worker index.
        var workers: [Int: WorkerFigures] = [:]
    }

    /// One worker's figures.
    struct WorkerFigures: Sendable {
        var up = 0.0
        var kvUsed = 0.0
        var kvFree = 0.0
    }

    /// One key's figures, summed over models.
    struct KeyFigures: Sendable {
        var requests = 0.0
        var promptTokens = 0.0
        var generationTokens = 0.0
        var refusals = 0.0
    }
}
