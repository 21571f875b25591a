import Basics

/// Durations in the configuration: `"500ms"`, `"30s"`, `"5m"`, `"1h"` (decimals allowed, e.g. `"1.5s"`), or a bare
/// number of seconds (`DurationSyntax.configuration`).
public enum ConfigDuration {
    /// Parses a duration string; `nil` when it is not one. Negative values are returned as such.
    public static func parse(_ text: String) -> Duration? {
        DurationSyntax.configuration.parse(text)
    }

    /// Renders a duration the way the configuration spells it: `"500ms"`, `"30s"`, `"5m"`, `"1h"`.
    public static func format(_ duration: Duration) -> String {
        DurationSyntax.configuration.format(duration)
    }
}
