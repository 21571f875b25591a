import Foundation

/// The families of a Prometheus text exposition: for each family name its `# HELP` text, its `# TYPE`, and the
/// samples under it (histogram `_bucket`/`_sum`/`_count` lines counted under their family).
struct MetricsExposition {
    struct Family {
        var help: String?
        var type: String?
        var samples: [(line: String, value: Double)] = []
    }

    private(set) var families: [String: Family] = [:]

    /// Parses `text`.
    init(_ text: String) {
        var lastTyped: [String] = []
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = String(rest.prefix { $0 != " " })
                families[name, default: Family()].help = String(rest.dropFirst(name.count)).trimmingCharacters(
                    in: .whitespaces)
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4 else { continue }
                families[String(parts[2]), default: Family()].type = String(parts[3])
                lastTyped.append(String(parts[2]))
            } else if !line.hasPrefix("#"), !line.isEmpty {
                let series = String(line.prefix { $0 != "{" && $0 != " " })
                let value = line.split(separator: " ").last.flatMap { Double($0) } ?? .nan
                families[Self.family(of: series, typed: families), default: Family()].samples.append((line, value))
            }
        }
    }

    /// The family a series name belongs to: itself, or a histogram's name without its suffix.
    private static func family(of series: String, typed: [String: Family]) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where series.hasSuffix(suffix) {
            let base = String(series.dropLast(suffix.count))
            if typed[base]?.type == "histogram" { return base }
        }
        return series
    }

    /// The value of the sample of family `name` whose labels include every pair of `labels` (the first match),
    /// for counters and gauges.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        families[name]?.samples.first { sample in
            sample.line.hasPrefix(name + "{") || sample.line.hasPrefix(name + " ")
                ? labels.allSatisfy { sample.line.contains("\($0.key)=\"\($0.value)\"") } : false
        }?.value
    }

    /// The sum over the samples of family `name` (not for histograms) whose labels include `labels`.
    func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
        (families[name]?.samples ?? []).filter { sample in
            labels.allSatisfy { sample.line.contains("\($0.key)=\"\($0.value)\"") }
        }.reduce(0) { $0 + $1.value }
    }
}
