/// How a duration is written in one place (the configuration file, the command line): the units it may end in,
/// what its number may look like, and how finely the value is kept. The one parser of durations in Batchgate.
public struct DurationSyntax: Sendable {
    /// One unit suffix and the seconds it stands for.
    public struct Unit: Sendable {
        /// The suffix, e.g. `"ms"`.
        public var suffix: String
        /// Seconds in one of this unit.
        public var seconds: Double

        /// A unit `suffix` worth `seconds` seconds.
        public init(_ suffix: String, seconds: Double) {
            self.suffix = suffix
            self.seconds = seconds
        }
    }

    /// The suffixes tried in order (put a suffix before any shorter one it ends with, e.g. `ms` before `s`); a
    /// number without one is seconds.
    public var units: [Unit]
    /// Whether `"5S"` means `"5s"`.
    public var ignoresCase: Bool
    /// Whether negative values are returned (else they do not parse).
    public var allowsNegative: Bool
    /// Whether the number may be any floating-point literal (`1e3`, `0x10`); else only digits, sign and point.
    public var allowsFloatLiterals: Bool
    /// The value is rounded to a whole number of these per second (1000: milliseconds).
    public var ticksPerSecond: Int64

    /// A syntax from its parts.
    public init(
        units: [Unit], ignoresCase: Bool, allowsNegative: Bool, allowsFloatLiterals: Bool, ticksPerSecond: Int64
    ) {
        self.units = units
        self.ignoresCase = ignoresCase
        self.allowsNegative = allowsNegative
        self.allowsFloatLiterals = allowsFloatLiterals
        self.ticksPerSecond = ticksPerSecond
    }

    /// The configuration file's: `500ms`, `30s`, `5m`, `1h`, decimals, or bare seconds; case matters; negatives are
    /// returned (validation refuses them with the key's name); whole milliseconds keep values exactly comparable.
    public static let configuration = DurationSyntax(
        units: [
            .init("ms", seconds: 0.001), .init("s", seconds: 1), .init("m", seconds: 60), .init("h", seconds: 3600),
        ],
        ignoresCase: false, allowsNegative: true, allowsFloatLiterals: false, ticksPerSecond: 1000)

    /// The command line's (`batchgate bench`): also `us`, any case, any float literal, never negative, to the
    /// nanosecond.
    public static let commandLine = DurationSyntax(
        units: [
            .init("ms", seconds: 0.001), .init("us", seconds: 0.000_001), .init("s", seconds: 1),
            .init("m", seconds: 60), .init("h", seconds: 3600),
        ],
        ignoresCase: true, allowsNegative: false, allowsFloatLiterals: true, ticksPerSecond: 1_000_000_000)

    /// The duration `text` names, or `nil` when it names none in this syntax.
    public func parse(_ text: String) -> Duration? {
        var trimmed = Substring(text)
        while let first = trimmed.first, first.isWhitespace { trimmed = trimmed.dropFirst() }
        while let last = trimmed.last, last.isWhitespace { trimmed = trimmed.dropLast() }
        let spelled = ignoresCase ? Substring(trimmed.lowercased()) : trimmed
        for unit in units where spelled.hasSuffix(unit.suffix) {
            return value(spelled.dropLast(unit.suffix.count), unitSeconds: unit.seconds)
        }
        return value(spelled, unitSeconds: 1)
    }

    /// Renders `duration` in the largest unit of this syntax that holds it exactly (whole milliseconds at the
    /// finest): `"500ms"`, `"30s"`, `"5m"`, `"1h"`; zero is `"0s"`.
    public func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0s" }
        let whole = units.filter { $0.seconds >= 0.001 }.sorted { $0.seconds > $1.seconds }
        for unit in whole {
            let unitMilliseconds = Int64((unit.seconds * 1000).rounded())
            if milliseconds % unitMilliseconds == 0 { return "\(milliseconds / unitMilliseconds)\(unit.suffix)" }
        }
        return "\(milliseconds)ms"
    }

    private func value(_ number: Substring, unitSeconds: Double) -> Duration? {
        guard !number.isEmpty else { return nil }
        if !allowsFloatLiterals {
            guard number.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.".contains($0)) }) else { return nil }
        }
        guard let amount = Double(number), amount.isFinite, allowsNegative || amount >= 0 else { return nil }
        let ticks = (amount * unitSeconds * Double(ticksPerSecond)).rounded()
        guard abs(ticks) < Double(Int64.max / 2) else { return nil }
        let whole = Int64(ticks)
        return Duration(
            secondsComponent: whole / ticksPerSecond,
            attosecondsComponent: (whole % ticksPerSecond) * (1_000_000_000_000_000_000 / ticksPerSecond))
    }
}
