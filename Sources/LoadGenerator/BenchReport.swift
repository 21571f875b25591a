/// Percentiles, mean and maximum of one latency metric, in milliseconds.
public struct LatencySummary: Codable, Sendable, Equatable {
    /// Successful requests (TTFT, TPOT, end-to-end) or gaps (ITL) measured.
    public var count: Int
    /// 50th percentile.
    public var p50: Double
    /// 90th percentile.
    public var p90: Double
    /// 95th percentile.
    public var p95: Double
    /// 99th percentile.
    public var p99: Double
    /// 99.9th percentile.
    public var p99_9: Double
    /// Arithmetic mean.
    public var mean: Double
    /// Largest value.
    public var max: Double

    /// The value at a percentile key (`p50` … `p99_9`, `mean`, `max`).
    public func value(_ key: String) -> Double? {
        switch key {
        case "p50": return p50
        case "p90": return p90
        case "p95": return p95
        case "p99": return p99
        case "p99_9": return p99_9
        case "mean": return mean
        case "max": return max
        default: return nil
        }
    }
}

/// The two latency figures measured from the send time instead of the due time (not corrected for coordinated
/// omission), reported beside the corrected ones.
public struct UncorrectedLatency: Codable, Sendable, Equatable {
    /// Time to first token from the send.
    public var ttft_ms: LatencySummary
    /// End-to-end latency from the send.
    public var e2e_ms: LatencySummary
}

/// How the load was offered.
public struct LoadDescription: Codable, Sendable, Equatable {
    /// `rate` (open loop) or `concurrency` (closed loop).
    public var mode: String
    /// Requests per second offered (open loop).
    public var rate: Double?
    /// Whether the gaps were exponential (open loop).
    public var poisson: Bool?
    /// Clients (closed loop).
    public var concurrency: Int?
}

/// Corrected TTFT and end-to-end percentiles of the requests due in one window of the run.
public struct TimelinePoint: Codable, Sendable, Equatable {
    /// Start of the window, seconds since the run started.
    public var t_s: Double
    /// Successful requests due in the window.
    public var requests: Int
    /// Median TTFT.
    public var ttft_p50_ms: Double
    /// 99th-percentile TTFT.
    public var ttft_p99_ms: Double
    /// Median end-to-end latency.
    public var e2e_p50_ms: Double
    /// 99th-percentile end-to-end latency.
    public var e2e_p99_ms: Double
}

/// Equal-width buckets of a latency distribution, for the report's histograms.
public struct Distribution: Codable, Sendable, Equatable {
    /// Lower edge of the first bucket.
    public var start_ms: Double
    /// Width of every bucket.
    public var bucket_ms: Double
    /// Values in each bucket; the last one also holds everything above it.
    public var counts: [Int]
}

/// One bounded run of a sweep.
public struct SweepStep: Codable, Sendable, Equatable {
    /// `saturation` (closed loop at high concurrency), `doubling` or `search`.
    public var phase: String
    /// Offered rate (open-loop steps).
    public var rate: Double?
    /// Clients (the saturation step).
    public var concurrency: Int?
    /// Whether every objective held and at least 99% of requests succeeded.
    public var passed: Bool
    /// Requests the step sent and that ended (absent in reports written before it was recorded).
    public var requests_sent: Int?
    /// Requests that streamed to `[DONE]`.
    public var requests_completed: Int?
    /// From the step's first due time to its last byte.
    public var duration_s: Double?
    /// Completed requests per second.
    public var request_throughput: Double
    /// Output tokens per second.
    public var output_token_throughput: Double
    /// Requests per second that met every objective.
    public var goodput: Double
    /// Share of requests that succeeded.
    public var success_rate: Double
    /// Failed requests by kind, as in the report's top level (absent in reports written before it was recorded).
    public var errors: [String: Int]?
    /// Corrected TTFT.
    public var ttft_ms: LatencySummary
    /// Time per output token.
    public var tpot_ms: LatencySummary
    /// Corrected end-to-end latency.
    public var e2e_ms: LatencySummary
    /// Seconds the sweep waited before this step for the target to drain what the previous step left queued
    /// (absent when the previous step could have left nothing).
    public var drain_s: Double?
    /// Whether the target drained within the limit before this step (absent when there was no wait).
    public var drained: Bool?
}

/// What a sweep found.
public struct SweepSummary: Codable, Sendable, Equatable {
    /// The objectives, as written (`ttft_p99=2000ms`).
    public var slo: [String]
    /// Request throughput of the saturation step.
    public var saturation_throughput: Double
    /// Time to first token of one small probe request on the idle target, before the first step: what the drain
    /// between steps waits to come back near (absent when no probe succeeded, or in older reports).
    public var idle_ttft_ms: Double?
    /// The highest offered rate that met every objective, or nil when none did.
    public var max_rate_within_slo: Double?
    /// Every run, in order.
    public var steps: [SweepStep]
}

/// The JSON report of `batchgate bench` (schema: Docs/bench-report.schema.json).
public struct BenchReport: Codable, Sendable, Equatable {
    /// Version of this schema.
    public var schema_version = 1
    /// Base URL of the target.
    public var target: String
    /// `completions` or `chat`.
    public var endpoint: String
    /// Model name sent.
    public var model: String
    /// The load.
    public var load: LoadDescription
    /// True when Ctrl-C stopped the run.
    public var interrupted: Bool
    /// Requests sent and ended (in-flight requests cancelled by Ctrl-C are not counted).
    public var requests_sent: Int
    /// Requests that streamed to `[DONE]`.
    public var requests_completed: Int
    /// Requests that failed, of any kind.
    public var requests_failed: Int
    /// completed / sent.
    public var success_rate: Double
    /// Failed requests by kind (`http_503`, `timeout`, `connection`, `stream_cut`, `stream_error`).
    public var errors: [String: Int]
    /// From the first due time to the last byte.
    public var duration_s: Double
    /// Prompt tokens of the completed requests (when known).
    public var prompt_tokens_total: Int
    /// Output tokens of the completed requests.
    public var output_tokens_total: Int
    /// Completed requests per second.
    public var request_throughput: Double
    /// Output tokens per second.
    public var output_token_throughput: Double
    /// Completed requests per second that met every objective (all of them without objectives).
    public var goodput: Double
    /// The objectives.
    public var slo: [String]
    /// Time to first token, from the due time.
    public var ttft_ms: LatencySummary
    /// Time per output token.
    public var tpot_ms: LatencySummary
    /// Every inter-token gap.
    public var itl_ms: LatencySummary
    /// End-to-end latency, from the due time.
    public var e2e_ms: LatencySummary
    /// TTFT and end-to-end latency from the send time.
    public var uncorrected: UncorrectedLatency
    /// Latency over the run, by window of due time.
    public var timeline: [TimelinePoint]
    /// Distributions of TTFT and TPOT (`ttft_ms`, `tpot_ms`).
    public var histograms: [String: Distribution]
    /// Present for `--sweep`: every step and the rate found; the rest of the report is the best passing step.
    public var sweep: SweepSummary?
    /// Prompt tokens the server answered from its prompt cache (`usage.prompt_tokens_details.cached_tokens`), over
    /// the completed requests that reported it; absent when none did.
    public var cached_tokens_total: Int? = nil
    /// `cached_tokens_total` over the prompt tokens of the same requests (0…1); absent when none reported it.
    public var cached_token_share: Double? = nil
}
