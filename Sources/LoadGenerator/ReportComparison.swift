import Foundation

/// `batchgate bench compare A.json B.json`: the headline figures of two reports side by side with the change.
public enum ReportComparison {
    /// Reads a JSON report.
    public static func load(_ path: String) throws -> BenchReport {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BenchError(.file, "cannot read \(path)")
        }
        do {
            return try JSONDecoder().decode(BenchReport.self, from: data)
        } catch {
            throw BenchError(.file, "\(path) is not a batchgate bench JSON report: \(error)")
        }
    }

    /// The table: one row per figure, A, B and the change from A to B in percent.
    public static func render(_ a: BenchReport, _ b: BenchReport, names: (String, String)) -> String {
        var rows: [(String, Double, Double)] = [
            ("requests_completed", Double(a.requests_completed), Double(b.requests_completed)),
            ("requests_failed", Double(a.requests_failed), Double(b.requests_failed)),
            ("success_rate", a.success_rate, b.success_rate),
            ("request_throughput", a.request_throughput, b.request_throughput),
            ("output_token_throughput", a.output_token_throughput, b.output_token_throughput),
            ("goodput", a.goodput, b.goodput),
        ]
        let metrics: [(String, KeyPath<BenchReport, LatencySummary>)] = [
            ("ttft_ms", \.ttft_ms), ("tpot_ms", \.tpot_ms), ("itl_ms", \.itl_ms), ("e2e_ms", \.e2e_ms),
        ]
        for (name, path) in metrics {
            for key in ["p50", "p90", "p99", "p99_9", "mean", "max"] {
                rows.append(("\(name).\(key)", a[keyPath: path].value(key) ?? 0, b[keyPath: path].value(key) ?? 0))
            }
        }
        if a.sweep != nil || b.sweep != nil {
            rows.append(
                ("sweep.max_rate_within_slo", a.sweep?.max_rate_within_slo ?? 0, b.sweep?.max_rate_within_slo ?? 0))
        }
        func pad(_ text: String, _ width: Int) -> String {
            String(repeating: " ", count: max(0, width - text.count)) + text
        }
        // Each value column is as wide as its name (two spaces before it), and never narrower than 16.
        let widths = (max(16, names.0.count + 2), max(16, names.1.count + 2))
        var lines = [
            "figure".padding(toLength: 28, withPad: " ", startingAt: 0) + pad(names.0, widths.0)
                + pad(names.1, widths.1) + pad("change", 10)
        ]
        for (name, left, right) in rows {
            let change =
                left == 0 ? (right == 0 ? "0%" : "new") : String(format: "%+.1f%%", (right - left) / left * 100)
            lines.append(
                name.padding(toLength: 28, withPad: " ", startingAt: 0) + pad(String(format: "%.3f", left), widths.0)
                    + pad(String(format: "%.3f", right), widths.1) + pad(change, 10))
        }
        return lines.joined(separator: "\n")
    }

    /// The column names of two report paths: each file's name without `.json`, with as many of its folders in front
    /// as it takes to tell the two apart (`a/run` and `b/run`).
    public static func columnNames(_ first: String, _ second: String) -> (String, String) {
        func parts(_ path: String) -> [String] {
            var parts = path.split(separator: "/").map(String.init)
            if let last = parts.last, last.hasSuffix(".json"), last.count > 5 {
                parts[parts.count - 1] = String(last.dropLast(5))
            }
            return parts.isEmpty ? [path] : parts
        }
        let (a, b) = (parts(first), parts(second))
        var depth = 1
        while depth < max(a.count, b.count), a.suffix(depth) == b.suffix(depth) { depth += 1 }
        return (a.suffix(depth).joined(separator: "/"), b.suffix(depth).joined(separator: "/"))
    }
}
