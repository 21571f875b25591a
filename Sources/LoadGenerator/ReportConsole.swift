import Foundation

/// The console table of a report.
public enum ReportConsole {
    /// The table: totals, throughput, then one row per latency metric (corrected, and uncorrected beside it).
    public static func render(_ report: BenchReport) -> String {
        var lines: [String] = []
        let load =
            report.load.mode == "rate"
            ? String(format: "%.2f req/s", report.load.rate ?? 0) + (report.load.poisson == true ? " (poisson)" : "")
            : "\(report.load.concurrency ?? 0) concurrent"
        lines.append("target \(report.target)  endpoint \(report.endpoint)  model \(report.model)  load \(load)")
        if report.interrupted { lines.append("interrupted: the figures cover the run until Ctrl-C") }
        lines.append(
            String(
                format: "requests %d completed, %d failed (success %.2f%%) in %.2f s", report.requests_completed,
                report.requests_failed, report.success_rate * 100, report.duration_s))
        if !report.errors.isEmpty {
            lines.append(
                "errors   "
                    + report.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        lines.append(
            String(
                format: "throughput %.2f req/s, %.1f output tok/s; goodput %.2f req/s; %d output tokens",
                report.request_throughput, report.output_token_throughput, report.goodput, report.output_tokens_total))
        if let cached = report.cached_tokens_total, let share = report.cached_token_share {
            lines.append(
                String(format: "cached   %d prompt tokens from the server's cache (%.1f%%)", cached, share * 100))
        }
        if !report.slo.isEmpty { lines.append("slo      " + report.slo.joined(separator: ", ")) }
        lines.append("")
        lines.append(row("ms", ["p50", "p90", "p95", "p99", "p99.9", "mean", "max"]))
        let rows: [(String, LatencySummary)] = [
            ("ttft", report.ttft_ms), ("ttft (uncorrected)", report.uncorrected.ttft_ms), ("tpot", report.tpot_ms),
            ("itl", report.itl_ms), ("e2e", report.e2e_ms), ("e2e (uncorrected)", report.uncorrected.e2e_ms),
        ]
        for (name, summary) in rows {
            let values = [summary.p50, summary.p90, summary.p95, summary.p99, summary.p99_9, summary.mean, summary.max]
            lines.append(row(name, values.map { String(format: "%.1f", $0) }))
        }
        if let sweep = report.sweep {
            lines.append("")
            lines.append(
                String(format: "sweep: saturation %.2f req/s; ", sweep.saturation_throughput)
                    + (sweep.max_rate_within_slo.map { String(format: "highest rate within the SLO %.2f req/s", $0) }
                        ?? "no rate met the SLO"))
            lines.append(
                row(
                    "step",
                    [
                        "drain s", "offered", "requests", "req/s", "goodput", "ttft p99", "tpot p99", "e2e p99",
                        "passed",
                    ]))
            for step in sweep.steps {
                let offered = step.rate.map { String(format: "%.2f", $0) } ?? "c=\(step.concurrency ?? 0)"
                // The wait before the step for the target to drain; "!" marks one that reached its limit.
                let drain = step.drain_s.map { String(format: "%.1f", $0) + (step.drained == false ? "!" : "") } ?? "-"
                lines.append(
                    row(
                        step.phase,
                        [
                            drain, offered, step.requests_sent.map(String.init) ?? "-",
                            String(format: "%.2f", step.request_throughput), String(format: "%.2f", step.goodput),
                            String(format: "%.1f", step.ttft_ms.p99), String(format: "%.1f", step.tpot_ms.p99),
                            String(format: "%.1f", step.e2e_ms.p99), step.passed ? "yes" : "no",
                        ]))
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func row(_ name: String, _ cells: [String]) -> String {
        name.padding(toLength: 20, withPad: " ", startingAt: 0)
            + cells.map { String(repeating: " ", count: max(0, 10 - $0.count)) + $0 }.joined()
    }
}
