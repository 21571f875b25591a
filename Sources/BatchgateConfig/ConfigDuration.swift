/// Durations in the configuration: `"500ms"`, `"30s"`, `"5m"`, `"1h"` (decimals allowed, e.g. `"1.5s"`), or a bare
/// number of seconds.
public enum ConfigDuration {
    /// Parses a duration string; `nil` when it is not one. Negative values are returned as such.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingSpaces()
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, seconds) in units where trimmed.hasSuffix(suffix) {
            let number = String(trimmed.dropLast(suffix.count))
            return value(number, unitSeconds: seconds)
        }
        return value(trimmed, unitSeconds: 1)
    }

    /// Renders a duration the way the configuration spells it: `"500ms"`, `"30s"`, `"5m"`, `"1h"`.
    public static func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds % 3_600_000 == 0 && milliseconds != 0 { return "\(milliseconds / 3_600_000)h" }
        if milliseconds % 60_000 == 0 && milliseconds != 0 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(milliseconds)ms"
    }

    private static func value(_ number: String, unitSeconds: Double) -> Duration? {
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.".contains($0)) }),
            let amount = Double(number), amount.isFinite
        else { return nil }
        // Whole milliseconds are enough for every timeout here and keep values exactly comparable.
        let milliseconds = (amount * unitSeconds * 1000).rounded()
        guard abs(milliseconds) < Double(Int64.max / 2) else { return nil }
        return .milliseconds(Int64(milliseconds))
    }
}

extension String {
    func trimmingSpaces() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view = view.dropFirst() }
        while let last = view.last, last.isWhitespace { view = view.dropLast() }
        return String(view)
    }
}
