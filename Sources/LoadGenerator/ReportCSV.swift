/// The CSV form of a report: a header and one row per run (one for a single run, one per step for a sweep).
public enum ReportCSV {
    static let metrics = ["ttft_ms", "tpot_ms", "itl_ms", "e2e_ms", "ttft_uncorrected_ms", "e2e_uncorrected_ms"]
    static let keys = ["p50", "p90", "p95", "p99", "p99_9", "mean", "max"]

    /// The CSV text.
    public static func render(_ report: BenchReport) -> String {
        let header =
            [
                "phase", "mode", "rate", "concurrency", "passed", "requests_completed", "requests_failed", "duration_s",
                "output_tokens_total", "request_throughput", "output_token_throughput", "goodput", "success_rate",
            ] + metrics.flatMap { metric in keys.map { "\(metric.dropLast(3))_\($0)_ms" } } + ["drain_s"]
        var lines = [header.joined(separator: ",")]
        if let sweep = report.sweep {
            for step in sweep.steps {
                let summaries = [step.ttft_ms, step.tpot_ms, nil, step.e2e_ms, nil, nil]
                lines.append(
                    ([
                        step.phase, step.rate == nil ? "concurrency" : "rate", format(step.rate),
                        step.concurrency.map(String.init) ?? "", step.passed ? "true" : "false",
                        step.requests_completed.map(String.init) ?? "",
                        step.requests_sent.map { "\($0 - (step.requests_completed ?? 0))" } ?? "",
                        format(step.duration_s), "", format(step.request_throughput),
                        format(step.output_token_throughput), format(step.goodput), format(step.success_rate),
                    ] + cells(summaries) + [format(step.drain_s)]).joined(separator: ","))
            }
        } else {
            let summaries = [
                report.ttft_ms, report.tpot_ms, report.itl_ms, report.e2e_ms, report.uncorrected.ttft_ms,
                report.uncorrected.e2e_ms,
            ]
            lines.append(
                ([
                    "run", report.load.mode, format(report.load.rate), report.load.concurrency.map(String.init) ?? "",
                    "", "\(report.requests_completed)", "\(report.requests_failed)", format(report.duration_s),
                    "\(report.output_tokens_total)", format(report.request_throughput),
                    format(report.output_token_throughput), format(report.goodput), format(report.success_rate),
                ] + cells(summaries) + [""]).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func cells(_ summaries: [LatencySummary?]) -> [String] {
        summaries.flatMap { summary in keys.map { key in format(summary?.value(key)) } }
    }

    private static func format(_ value: Double?) -> String {
        guard let value else { return "" }
        return "\((value * 1000).rounded() / 1000)"
    }
}
