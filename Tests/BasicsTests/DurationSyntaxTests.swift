import Basics
import Testing

@Suite("The one duration syntax")
struct DurationSyntaxTests {
    @Test(
        "The command line takes microseconds, any case and float literals, to the nanosecond",
        arguments: [
            ("250us", Duration.microseconds(250)), ("2S", .seconds(2)), ("1e3ms", .seconds(1)),
            (" 1.5s ", .milliseconds(1500)), ("0.000000001", .nanoseconds(1)), ("3", .seconds(3)),
        ]
    )
    func commandLineParses(_ text: String, _ expected: Duration) {
        #expect(DurationSyntax.commandLine.parse(text) == expected)
    }

    @Test("The command line refuses negatives and non-numbers", arguments: ["-1s", "soon", "", "ms", "infs", "1e400s"])
    func commandLineRejects(_ text: String) {
        #expect(DurationSyntax.commandLine.parse(text) == nil)
    }

    @Test("The configuration is case-sensitive and knows no microseconds", arguments: ["5S", "250us", "1e3s"])
    func configurationRejects(_ text: String) {
        #expect(DurationSyntax.configuration.parse(text) == nil)
    }

    @Test("Durations convert to seconds and nanoseconds")
    func units() {
        #expect(Duration.milliseconds(1500).inSeconds == 1.5)
        #expect(Duration.microseconds(3).inNanoseconds == 3000)
        #expect(Duration.seconds(-2).inNanoseconds == -2_000_000_000)
    }
}

@Suite("SplitMix64")
struct SplitMix64Tests {
    @Test("Matches the reference sequence")
    func reference() {
        // First outputs of SplitMix64 seeded with 0 (Vigna's reference implementation).
        var s = SplitMix64(seed: 0)
        #expect(s.next() == 0xE220_A839_7B1D_CDAF)
        #expect(s.next() == 0x6E78_9E6A_A1B9_65F4)
    }
}
