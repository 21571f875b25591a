import Foundation
import Testing

@testable import BatchgateConfig

@Suite("Durations, suggestions and expiry dates")
struct ParsingHelperTests {
    @Test(
        "Durations parse",
        arguments: [
            ("500ms", Duration.milliseconds(500)), ("30s", .seconds(30)), ("5m", .seconds(300)),
            ("1h", .seconds(3600)), ("1.5s", .milliseconds(1500)), ("90", .seconds(90)), ("0.25", .milliseconds(250)),
            ("0", .zero), ("-5s", .seconds(-5)),
        ]
    )
    func durationParses(_ text: String, _ expected: Duration) {
        #expect(ConfigDuration.parse(text) == expected)
    }

    @Test("Non-durations do not parse", arguments: ["", "s", "5 minutes", "1d", "abc", "--1s", "1e3s", "ms"])
    func durationRejects(_ text: String) {
        #expect(ConfigDuration.parse(text) == nil)
    }

    @Test(
        "Durations format back",
        arguments: [
            (Duration.milliseconds(500), "500ms"), (.seconds(30), "30s"), (.seconds(300), "5m"), (.seconds(3600), "1h"),
            (.seconds(90), "90s"), (.zero, "0s"),
        ]
    )
    func durationFormats(_ duration: Duration, _ text: String) {
        #expect(ConfigDuration.format(duration) == text)
    }

    @Test("Levenshtein distance")
    func levenshtein() {
        #expect(KeySuggestion.levenshtein("kitten", "sitting") == 3)
        #expect(KeySuggestion.levenshtein("prot", "port") == 2)
        #expect(KeySuggestion.levenshtein("", "abc") == 3)
        #expect(KeySuggestion.levenshtein("same", "same") == 0)
    }

    @Test(
        "Suggestions pick the closest key, or a prefix match, or nothing",
        arguments: [
            ("prot", "port"), ("hots", "host"), ("max_body", "max_body_bytes"), ("PORT", "port"),
            ("colour", nil), ("x", nil),
        ] as [(String, String?)]
    )
    func suggestion(_ word: String, _ expected: String?) {
        #expect(KeySuggestion.closest(to: word, among: NodeReader.listenerKeys) == expected)
    }

    @Test(
        "Expiry dates: a date means through the end of that day (UTC); timestamps are exact",
        arguments: [
            ("2030-12-31", 1_924_992_000.0), ("2030-12-31T18:00:00Z", 1_924_970_400.0),
            ("2030-12-31T18:00:00.5+02:00", 1_924_963_200.5), ("2030-02-30", nil), ("2030-1-1", nil),
            ("tomorrow", nil), ("2030-12-31 18:00", nil),
        ] as [(String, Double?)]
    )
    func expiry(_ text: String, _ seconds: Double?) {
        #expect(NodeReader.parseExpiry(text)?.timeIntervalSince1970 == seconds)
    }
}
