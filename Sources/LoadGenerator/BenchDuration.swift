import Basics

/// Durations on the `bench` command line: `500ms`, `2s`, `1.5s`, `5m`, `1h`, `250us` or a bare number of seconds
/// (`DurationSyntax.commandLine`).
public enum BenchDuration {
    /// The duration `text` names.
    public static func parse(_ text: String) throws(BenchError) -> Duration {
        guard let duration = DurationSyntax.commandLine.parse(text) else {
            throw BenchError(.invalidArgument, "'\(text)' is not a duration (expected e.g. 500ms, 2s, 5m)")
        }
        return duration
    }
}
