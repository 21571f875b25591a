import Basics
import Foundation

/// The latency metrics a run reports.
public enum LatencyMetric: String, Sendable, CaseIterable, Codable {
    /// Time to first token.
    case ttft
    /// Time per output token after the first: (end − first token) / (tokens − 1), per request.
    case tpot
    /// Inter-token latency: every gap between two chunks that carry text.
    case itl
    /// End-to-end latency of a request.
    case e2e
}

/// One service-level objective: a percentile of a latency metric must stay at or below a threshold
/// (`ttft_p99=2s`).
public struct ServiceLevel: Sendable, Equatable, CustomStringConvertible {
    /// The metric.
    public var metric: LatencyMetric
    /// The percentile, 0–100 (`p99_9` is 99.9).
    public var percentile: Double
    /// The highest acceptable value.
    public var threshold: Duration

    /// Creates an objective.
    public init(metric: LatencyMetric, percentile: Double, threshold: Duration) {
        self.metric = metric
        self.percentile = percentile
        self.threshold = threshold
    }

    /// Parses a comma-separated list such as `ttft_p99=2s,tpot_p99=200ms,e2e_p90=10s`.
    public static func parseList(_ text: String) throws(BenchError) -> [ServiceLevel] {
        var levels: [ServiceLevel] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1)
            let name = parts.first.map { $0.split(separator: "_", maxSplits: 1) } ?? []
            guard parts.count == 2, name.count == 2, let metric = LatencyMetric(rawValue: String(name[0])),
                name[1].hasPrefix("p"),
                let percentile = Double(name[1].dropFirst().replacingOccurrences(of: "_", with: ".")),
                percentile > 0, percentile <= 100
            else {
                throw BenchError(
                    .invalidArgument,
                    "'\(item)' is not an objective (expected METRIC_pN=DURATION, METRIC one of ttft, tpot, itl, e2e)")
            }
            levels.append(
                ServiceLevel(
                    metric: metric, percentile: percentile, threshold: try BenchDuration.parse(String(parts[1]))))
        }
        guard !levels.isEmpty else { throw BenchError(.invalidArgument, "--slo names no objective") }
        return levels
    }

    /// The key of the percentile in reports: `p99`, `p99_9`.
    public var percentileKey: String {
        percentile == percentile.rounded()
            ? "p\(Int(percentile))" : "p" + "\(percentile)".replacingOccurrences(of: ".", with: "_")
    }

    /// The form it was written in, e.g. `ttft_p99=2000ms`.
    public var description: String {
        "\(metric.rawValue)_\(percentileKey)=\(Int((threshold.inSeconds * 1000).rounded()))ms"
    }
}
