import Basics
import Testing

@testable import LoadGenerator

@Suite("Parsing of the bench arguments and the SSE stream")
struct ParsingTests {
    @Test("Token lengths: fixed, normal and uniform, and bad forms rejected")
    func lengths() throws {
        #expect(try LengthSpec(parsing: "256") == .fixed(256))
        #expect(try LengthSpec(parsing: "256±64") == .normal(mean: 256, deviation: 64))
        #expect(try LengthSpec(parsing: "256+-64") == .normal(mean: 256, deviation: 64))
        #expect(try LengthSpec(parsing: "128..512") == .uniform(128...512))
        for bad in ["", "0", "-3", "abc", "512..128", "10±x"] {
            #expect(throws: BenchError.self) { try LengthSpec(parsing: bad) }
        }
        var random = SplitMix64(seed: 3)
        let uniform = (0..<2000).map { _ in LengthSpec.uniform(128...512).sample(using: &random) }
        #expect(uniform.allSatisfy { (128...512).contains($0) })
        let normal = (0..<4000).map { _ in Double(LengthSpec.normal(mean: 256, deviation: 64).sample(using: &random)) }
        let mean = normal.reduce(0, +) / Double(normal.count)
        let deviation = (normal.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(normal.count)).squareRoot()
        #expect(abs(mean - 256) < 5 && abs(deviation - 64) < 5)
    }

    @Test("Durations and objectives")
    func durationsAndObjectives() throws {
        #expect(try BenchDuration.parse("200ms") == .milliseconds(200))
        #expect(try BenchDuration.parse("1.5s") == .milliseconds(1500))
        #expect(try BenchDuration.parse("2m") == .seconds(120))
        #expect(try BenchDuration.parse("3") == .seconds(3))
        #expect(throws: BenchError.self) { try BenchDuration.parse("soon") }
        let levels = try ServiceLevel.parseList("ttft_p99=2s,tpot_p99_9=200ms")
        #expect(
            levels == [
                ServiceLevel(metric: .ttft, percentile: 99, threshold: .seconds(2)),
                ServiceLevel(metric: .tpot, percentile: 99.9, threshold: .milliseconds(200)),
            ])
        #expect(levels[1].percentileKey == "p99_9")
        for bad in ["ttft=2s", "speed_p99=2s", "ttft_p99", "ttft_p101=1s", ""] {
            #expect(throws: BenchError.self) { try ServiceLevel.parseList(bad) }
        }
    }

    @Test("SSE: text chunks, empty chunks, usage, done and errors, across arbitrary splits")
    func sse() {
        let stream =
            #"data: {"choices":[{"text":" a"}]}"# + "\n\n" + #"data: {"choices":[{"delta":{"role":"assistant"}}]}"#
            + "\n\n" + #"data: {"choices":[{"delta":{"content":"b"}}]}"# + "\r\n\r\n"
            + #"data: {"choices":[{"text":"","finish_reason":"length"}]}"# + "\n\n"
            + #"data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":17}}"# + "\n\n" + ": comment\n\n"
            + "data: [DONE]\n\n"
        let expected: [SSEScanner.Event] = [
            .text, .other(completionTokens: nil), .text, .other(completionTokens: nil), .other(completionTokens: 17),
            .done,
        ]
        for split in [1, 3, 7, 1000] {
            var scanner = SSEScanner()
            var events: [SSEScanner.Event] = []
            let bytes = Array(stream.utf8)
            for start in stride(from: 0, to: bytes.count, by: split) {
                events += scanner.feed(bytes[start..<min(bytes.count, start + split)])
            }
            #expect(events == expected, "split \(split)")
        }
        var scanner = SSEScanner()
        #expect(scanner.feed(Array(#"data: {"error":{"message":"boom"}}"#.utf8) + [10]) == [.error])
    }
}
