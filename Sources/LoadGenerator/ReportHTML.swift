import Basics
import Foundation

/// The HTML report: one self-contained page (no script, no external file) with the figures and SVG charts.
public enum ReportHTML {
    /// The page.
    public static func render(_ report: BenchReport) -> String {
        var charts: [String] = []
        charts.append(
            SVGChart(title: "Latency over the run (corrected, by due time)", xLabel: "seconds", yLabel: "ms").lines([
                .init(name: "ttft p50", color: "#1f77b4", points: report.timeline.map { ($0.t_s, $0.ttft_p50_ms) }),
                .init(name: "ttft p99", color: "#ff7f0e", points: report.timeline.map { ($0.t_s, $0.ttft_p99_ms) }),
                .init(name: "e2e p50", color: "#2ca02c", points: report.timeline.map { ($0.t_s, $0.e2e_p50_ms) }),
                .init(name: "e2e p99", color: "#9467bd", points: report.timeline.map { ($0.t_s, $0.e2e_p99_ms) }),
            ]))
        for (key, title, color) in [
            ("ttft_ms", "Time to first token", "#1f77b4"), ("tpot_ms", "Time per output token", "#2ca02c"),
        ] {
            let histogram = report.histograms[key] ?? Distribution(start_ms: 0, bucket_ms: 1, counts: [])
            charts.append(
                SVGChart(title: "\(title): histogram", xLabel: "ms", yLabel: "requests").bars(
                    start: histogram.start_ms, width: histogram.bucket_ms, counts: histogram.counts, color: color))
        }
        if let sweep = report.sweep { charts.append(sweepChart(sweep, objectives: report.slo)) }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>batchgate bench: \(escape(report.target))</title>
            <style>
            body { font-family: sans-serif; margin: 24px; color: #222; }
            table { border-collapse: collapse; margin: 12px 0; }
            td, th { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            figure { display: inline-block; margin: 8px; } figcaption { font-weight: bold; }
            dt { font-weight: bold; } dd { margin-bottom: 6px; }
            </style></head><body>
            <h1>batchgate bench</h1>
            <p>\(escape(summaryLine(report)))</p>
            \(latencyTable(report))
            \(charts.joined(separator: "\n"))
            <h2>Definitions</h2>
            <dl>
            <dt>ttft</dt><dd>time to first token: from the moment the request was due to the first chunk carrying text.</dd>
            <dt>tpot</dt><dd>time per output token: (end − first token) / (output tokens − 1), per request.</dd>
            <dt>itl</dt><dd>inter-token latency: every gap between two chunks carrying text.</dd>
            <dt>e2e</dt><dd>end-to-end latency: from the moment the request was due to its last byte.</dd>
            <dt>corrected / uncorrected</dt><dd>corrected figures start when the request was due (so a stalled server \
            cannot hide behind a slowed generator: coordinated omission); uncorrected ones start when it was sent.</dd>
            <dt>goodput</dt><dd>completed requests per second that met every objective.</dd>
            </dl></body></html>
            """
    }

    private static func summaryLine(_ report: BenchReport) -> String {
        let load =
            report.load.mode == "rate"
            ? String(format: "%.2f req/s offered", report.load.rate ?? 0) : "\(report.load.concurrency ?? 0) clients"
        return "\(report.endpoint) on \(report.model) at \(report.target), \(load): "
            + String(
                format: "%d completed, %d failed in %.2f s; %.2f req/s, %.1f output tok/s, goodput %.2f req/s",
                report.requests_completed, report.requests_failed, report.duration_s, report.request_throughput,
                report.output_token_throughput, report.goodput)
            + (report.interrupted ? " (interrupted)" : "")
    }

    private static func latencyTable(_ report: BenchReport) -> String {
        let keys = ["p50", "p90", "p95", "p99", "p99_9", "mean", "max"]
        var rows =
            "<tr><th>ms</th>" + keys.map { "<th>\($0.replacingOccurrences(of: "_", with: "."))</th>" }.joined()
            + "</tr>"
        let named: [(String, LatencySummary)] = [
            ("ttft", report.ttft_ms), ("ttft (uncorrected)", report.uncorrected.ttft_ms), ("tpot", report.tpot_ms),
            ("itl", report.itl_ms), ("e2e", report.e2e_ms), ("e2e (uncorrected)", report.uncorrected.e2e_ms),
        ]
        for (name, summary) in named {
            rows +=
                "<tr><td>\(name)</td>"
                + keys.map { "<td>" + String(format: "%.1f", summary.value($0) ?? 0) + "</td>" }.joined() + "</tr>"
        }
        return "<table>\(rows)</table>"
    }

    /// Throughput against the first objective's metric, with the objective drawn as a line.
    private static func sweepChart(_ sweep: SweepSummary, objectives: [String]) -> String {
        let objective = objectives.first.flatMap { try? ServiceLevel.parseList($0).first }
        let metric = objective?.metric ?? .ttft
        let key = objective?.percentileKey ?? "p99"
        let steps = sweep.steps.filter { $0.rate != nil }.sorted { $0.request_throughput < $1.request_throughput }
        let points = steps.map { step -> (x: Double, y: Double) in
            let summary = metric == .tpot ? step.tpot_ms : metric == .e2e ? step.e2e_ms : step.ttft_ms
            return (step.request_throughput, summary.value(key) ?? 0)
        }
        let limit = objective.map { ($0.threshold.inSeconds * 1000, "SLO \($0.description)") }
        return SVGChart(
            title: "Sweep: throughput against \(metric.rawValue) \(key)", xLabel: "completed requests per second",
            yLabel: "\(metric.rawValue) \(key) (ms)"
        ).lines([.init(name: "\(metric.rawValue) \(key)", color: "#ff7f0e", points: points)], limit: limit)
    }
}
