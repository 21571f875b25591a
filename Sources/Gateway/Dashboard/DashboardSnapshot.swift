import BatchgateConfig

/// One message of `/dashboard/events`: the figures the page shows, computed from the ticks (so from `/metrics`),
/// the key settings, and the last requests; the first message of a connection also carries the charts' history.
struct DashboardSnapshot: Encodable, Sendable {
    /// Seconds since 1970 of the newest tick.
    var time: Double
    var models: [Model]
    var keys: [Key]
    var recent: [RecentRequests.Entry]
    /// The charts' points, oldest first (first message only).
    var history: [Point]?
    /// This tick's chart point.
    var point: Point?

    /// One model's row.
    struct Model: Encodable, Sendable {
        var name: String
        var waiting: Double
        var running: Double
        var kvUsage: Double
        var requests: Double
        var promptTokens: Double
        var generationTokens: Double
        /// Over the last 5 seconds.
        var promptTokensPerSecond: Double
        var generationTokensPerSecond: Double
        /// Mean step time over the last minute, nil without a step.
        var stepMilliseconds: Double?
        /// Prompt tokens found in the prefix cache over prompt tokens admitted, last minute; nil without prompts.
        var prefixHitRate: Double?
        var restarts: Double
        var preemptions: Double
        var workers: [Worker]
    }

    /// One worker.
    struct Worker: Encodable, Sendable {
        var index: Int
        var up: Bool
        var kvUsed: Double
        var kvFree: Double
    }

    /// One key's row.
    struct Key: Encodable, Sendable {
        var name: String
        var priority: Int
        var admin: Bool
        var requests: Double
        var promptTokens: Double
        var generationTokens: Double
        var refusals: Double
        /// Requests the quota let through in the last minute (refusals left out), what its limit counts.
        var requestsLastMinute: Double
        var tokensLastMinute: Double
        /// The `"*"` quota (or the only one), nil when unlimited.
        var requestsPerMinute: Int?
        var tokensPerMinute: Int?
        var concurrentRequests: Int?
    }

    /// One chart point: per model, tokens/s in and out (over the last second), queue depth, running, KV use.
    struct Point: Encodable, Sendable {
        var time: Double
        var models: [String: [Double]]
    }
}

extension DashboardSnapshot {
    /// The snapshot of `ticks` (oldest first), for `models` and `keys` in configuration order.
    init(
        ticks: [DashboardTick], models modelNames: [String], keys: [BatchgateConfiguration.APIKey],
        recent: [RecentRequests.Entry], withHistory: Bool
    ) {
        let ticks = ticks.isEmpty ? [DashboardTick(time: 0)] : ticks
        let last = ticks[ticks.count - 1]
        func back(_ seconds: Int) -> DashboardTick { ticks[max(0, ticks.count - 1 - seconds)] }
        let fiveAgo = back(5)
        let minuteAgo = back(60)
        time = last.time
        self.models = modelNames.map { name in
            let now = last.models[name] ?? .init()
            let before = fiveAgo.models[name] ?? .init()
            let minute = minuteAgo.models[name] ?? .init()
            let span = max(last.time - fiveAgo.time, 1)
            let steps = now.steps - minute.steps
            let prompts = now.promptTokens - minute.promptTokens
            return Model(
                name: name, waiting: now.waiting, running: now.running, kvUsage: now.kvUsage, requests: now.requests,
                promptTokens: now.promptTokens, generationTokens: now.generationTokens,
                promptTokensPerSecond: (now.promptTokens - before.promptTokens) / span,
                generationTokensPerSecond: (now.generationTokens - before.generationTokens) / span,
                stepMilliseconds: steps > 0 ? (now.stepSeconds - minute.stepSeconds) / steps * 1000 : nil,
                prefixHitRate: prompts > 0 ? (now.prefixHitTokens - minute.prefixHitTokens) / prompts : nil,
                restarts: now.restarts, preemptions: now.preemptions,
                workers: now.workers.sorted { $0.key < $1.key }.map { index, worker in
                    Worker(index: index, up: worker.up > 0, kvUsed: worker.kvUsed, kvFree: worker.kvFree)
                })
        }
        self.keys = keys.map { key in
            let now = last.keys[key.name] ?? .init()
            let minute = minuteAgo.keys[key.name] ?? .init()
            let quota = key.quotas["*"] ?? (key.quotas.count == 1 ? key.quotas.first?.value : nil)
            return Key(
                name: key.name, priority: key.priority, admin: key.admin, requests: now.requests,
                promptTokens: now.promptTokens, generationTokens: now.generationTokens, refusals: now.refusals,
                requestsLastMinute: now.requests - minute.requests - (now.refusals - minute.refusals),
                tokensLastMinute: now.promptTokens + now.generationTokens - minute.promptTokens
                    - minute.generationTokens,
                requestsPerMinute: quota?.requestsPerMinute, tokensPerMinute: quota?.tokensPerMinute,
                concurrentRequests: quota?.concurrentRequests)
        }
        self.recent = recent
        if withHistory {
            history = zip(ticks.dropLast(), ticks.dropFirst()).map {
                Self.point(from: $0, to: $1, models: modelNames)
            }
            point = nil
        } else {
            history = nil
            point = ticks.count > 1 ? Self.point(from: ticks[ticks.count - 2], to: last, models: modelNames) : nil
        }
    }

    /// The chart point of `next`, with rates since `previous`.
    static func point(from previous: DashboardTick, to next: DashboardTick, models: [String]) -> Point {
        let span = max(next.time - previous.time, 0.001)
        var figures: [String: [Double]] = [:]
        for name in models {
            let now = next.models[name] ?? .init()
            let before = previous.models[name] ?? .init()
            figures[name] = [
                (now.promptTokens - before.promptTokens) / span,
                (now.generationTokens - before.generationTokens) / span,
                now.waiting, now.running, now.kvUsage,
            ]
        }
        return Point(time: next.time, models: figures)
    }
}
