import Basics
import Histogram

/// The measurements of one run, ready to be turned into a report.
public struct RunResult: Sendable {
    let state: RunRecorder.State
    /// The load that was offered.
    public let shape: LoadShape
    /// The objectives of the run.
    public let serviceLevels: [ServiceLevel]
    /// True when the run was cancelled (Ctrl-C) before its end.
    public let interrupted: Bool
    let windowSeconds: Double

    /// Requests that ended, successful or not.
    public var requestsSent: Int { state.completed + requestsFailed }
    /// Requests that streamed to the end.
    public var requestsCompleted: Int { state.completed }
    /// Failed requests.
    public var requestsFailed: Int { state.failures.values.reduce(0, +) }
    /// From the first due time to the last byte, in seconds.
    public var durationSeconds: Double {
        guard let first = state.firstScheduled else { return 0 }
        return Double(max(0, state.lastEnd - first)) / 1e9
    }
    /// Failed requests by kind (`http_503`, `timeout`, …).
    public var errorsByKind: [String: Int] {
        Dictionary(uniqueKeysWithValues: state.failures.map { ($0.key.description, $0.value) })
    }
    /// Completed requests per second.
    public var requestThroughput: Double { rate(state.completed) }
    /// completed / sent (1 when nothing was sent).
    public var successRate: Double { requestsSent == 0 ? 1 : Double(state.completed) / Double(requestsSent) }

    private func rate(_ count: Int) -> Double {
        durationSeconds > 0 ? Double(count) / durationSeconds : 0
    }

    /// Output-token throughput and goodput, per second.
    public var reportFigures: (outputTokenThroughput: Double, goodput: Double) {
        (rate(state.outputTokens), rate(state.good))
    }

    /// Whether the run met every objective at its percentile, with at least 99% of requests successful.
    public var meetsServiceLevels: Bool {
        guard state.completed > 0, successRate >= 0.99 else { return false }
        return serviceLevels.allSatisfy { level in
            Double(histogram(level.metric).valueAtPercentile(level.percentile)) / 1000 <= level.threshold.inSeconds
                * 1000
        }
    }

    func histogram(_ metric: LatencyMetric) -> LatencyHistogram {
        switch metric {
        case .ttft: return state.ttft
        case .tpot: return state.tpot
        case .itl: return state.itl
        case .e2e: return state.e2e
        }
    }

    /// Percentiles of a corrected metric.
    public func summary(_ metric: LatencyMetric) -> LatencySummary { Self.summary(histogram(metric)) }

    static func summary(_ histogram: LatencyHistogram) -> LatencySummary {
        let count = Int(histogram.totalCount)
        func ms(_ percentile: Double) -> Double {
            count == 0 ? 0 : Double(histogram.valueAtPercentile(percentile)) / 1000
        }
        return LatencySummary(
            count: count, p50: ms(50), p90: ms(90), p95: ms(95), p99: ms(99), p99_9: ms(99.9),
            mean: count == 0 ? 0 : histogram.mean / 1000, max: count == 0 ? 0 : Double(histogram.max) / 1000)
    }

    /// The JSON report of this run.
    public func report(settings: BenchSettings) -> BenchReport {
        let load: LoadDescription
        switch shape {
        case .rate(let rate, let poisson):
            load = LoadDescription(mode: "rate", rate: rate, poisson: poisson, concurrency: nil)
        case .concurrency(let clients):
            load = LoadDescription(mode: "concurrency", rate: nil, poisson: nil, concurrency: clients)
        }
        let timeline = state.windows.keys.sorted().map { window -> TimelinePoint in
            let pair = state.windows[window]!
            return TimelinePoint(
                t_s: Double(window) * windowSeconds, requests: Int(pair.ttft.totalCount),
                ttft_p50_ms: Double(pair.ttft.valueAtPercentile(50)) / 1000,
                ttft_p99_ms: Double(pair.ttft.valueAtPercentile(99)) / 1000,
                e2e_p50_ms: Double(pair.e2e.valueAtPercentile(50)) / 1000,
                e2e_p99_ms: Double(pair.e2e.valueAtPercentile(99)) / 1000)
        }
        var report = BenchReport(
            target: settings.baseURL, endpoint: settings.endpoint.rawValue, model: settings.model, load: load,
            interrupted: interrupted, requests_sent: requestsSent, requests_completed: state.completed,
            requests_failed: requestsFailed, success_rate: successRate,
            errors: errorsByKind,
            duration_s: durationSeconds, prompt_tokens_total: state.promptTokens,
            output_tokens_total: state.outputTokens, request_throughput: requestThroughput,
            output_token_throughput: rate(state.outputTokens),
            goodput: rate(state.good), slo: serviceLevels.map(\.description),
            ttft_ms: summary(.ttft), tpot_ms: summary(.tpot), itl_ms: summary(.itl), e2e_ms: summary(.e2e),
            uncorrected: UncorrectedLatency(
                ttft_ms: Self.summary(state.ttftUncorrected), e2e_ms: Self.summary(state.e2eUncorrected)),
            timeline: timeline,
            histograms: ["ttft_ms": Self.distribution(state.ttft), "tpot_ms": Self.distribution(state.tpot)],
            sweep: nil)
        if state.cacheReports > 0 {
            report.cached_tokens_total = state.cachedTokens
            report.cached_token_share =
                state.cachedOfPromptTokens > 0
                ? min(1, Double(state.cachedTokens) / Double(state.cachedOfPromptTokens)) : 0
        }
        return report
    }

    /// 40 equal buckets from the minimum to the 99.9th percentile; the last also holds the rest.
    static func distribution(_ histogram: LatencyHistogram, buckets: Int = 40) -> Distribution {
        guard histogram.totalCount > 0 else { return Distribution(start_ms: 0, bucket_ms: 1, counts: []) }
        let low = histogram.min
        let high = Swift.max(histogram.valueAtPercentile(99.9), low + UInt64(buckets))
        let width = Swift.max(1, (high - low + UInt64(buckets) - 1) / UInt64(buckets))
        var counts: [Int] = []
        for bucket in 0..<buckets {
            let from = low + UInt64(bucket) * width
            let to = bucket == buckets - 1 ? Swift.max(histogram.max, from) : from + width - 1
            counts.append(Int(histogram.count(within: from...to)))
        }
        return Distribution(start_ms: Double(low) / 1000, bucket_ms: Double(width) / 1000, counts: counts)
    }
}
