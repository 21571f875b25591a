import Foundation

/// Parsing of durations written as `500ms`, `2s`, `1.5s`, `5m`, `1h` or a bare number of seconds.
public enum BenchDuration {
    /// The duration `text` names.
    public static func parse(_ text: String) throws(BenchError) -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("us", 0.000_001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Substring(trimmed)
        var scale = 1.0
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            number = trimmed.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let value = Double(number), value.isFinite, value >= 0 else {
            throw BenchError(.invalidArgument, "'\(text)' is not a duration (expected e.g. 500ms, 2s, 5m)")
        }
        return .nanoseconds(Int64((value * scale * 1e9).rounded()))
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    /// The duration in whole nanoseconds.
    var nanoseconds: Int64 {
        let (whole, attoseconds) = components
        return whole * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
