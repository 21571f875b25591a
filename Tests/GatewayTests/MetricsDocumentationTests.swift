import BatchgateTestSupport
import Foundation
import Gateway
import Scheduler
import Testing

/// `/metrics` against Docs/metrics.md and promtool: every family a live gateway exposes has HELP and TYPE, is
/// documented, and passes `promtool check metrics`; per-key counters carry names, never keys.
@Suite("Metrics documentation", .serialized)
struct MetricsDocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The metric names Docs/metrics.md documents: the first column of its tables.
    static func documentedNames() throws -> Set<String> {
        let text = try String(contentsOf: root.appendingPathComponent("Docs/metrics.md"), encoding: .utf8)
        return Set(
            text.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("| `batchgate_") else { return nil }
                return line.dropFirst(3).prefix { $0 != "`" }.description
            })
    }

    /// A gateway with a second key, after a streamed and a whole request, and its `/metrics`.
    static func loadedGateway() throws -> (LiveGateway, String) {
        let gateway = try LiveGateway(
            keys: LiveGateway.keysYAML([(name: "team-b", key: "bg-second-secret", quota: "{requests_per_minute: 100}")])
        )
        for (key, stream) in [(LiveGateway.key, false), ("bg-second-secret", true)] {
            let answer = try gateway.curl([
                gateway.url("/v1/chat/completions"), "-H", "Authorization: Bearer \(key)", "-H",
                "Content-Type: application/json", "-d",
                #"{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":4,"ignore_eos":true,"#
                    + #""stream":\#(stream)}"#,
            ])
            #expect(answer.status == 0 && answer.output.contains("chat.completion"), "\(answer.output)")
        }
        return (gateway, try gateway.curl([gateway.url("/metrics")]).output)
    }

    @Test("Every family described in code is documented in Docs/metrics.md, and every documented one is described")
    func descriptionsMatchDocs() throws {
        let documented = try Self.documentedNames()
        let described = Set(MetricDescription.all.map(\.name))
        #expect(described.subtracting(documented).isEmpty, "undocumented: \(described.subtracting(documented))")
        #expect(documented.subtracting(described).isEmpty, "no longer exposed: \(documented.subtracting(described))")
        #expect(MetricDescription.all.allSatisfy { !$0.help.isEmpty })
    }

    @Test("A live /metrics: every family has HELP and TYPE and is in Docs/metrics.md; per-key counters add up")
    func liveFamiliesDocumented() throws {
        let (gateway, text) = try Self.loadedGateway()
        let exposition = MetricsExposition(text)
        let documented = try Self.documentedNames()
        #expect(exposition.families.count > 20, "\(exposition.families.keys.sorted())")
        for (name, family) in exposition.families {
            #expect(family.help?.isEmpty == false, "\(name) has no HELP")
            #expect(family.type != nil, "\(name) has no TYPE")
            #expect(documented.contains(name), "\(name) is missing from Docs/metrics.md")
        }
        // Per key, by name: the two requests are one each, their tokens add up to the model's.
        #expect(exposition.value("batchgate_key_requests_total", ["key": "live", "model": "tiny"]) == 1)
        #expect(exposition.value("batchgate_key_requests_total", ["key": "team-b", "model": "tiny"]) == 1)
        #expect(exposition.value("batchgate_key_generation_tokens_total", ["key": "team-b"]) == 4)
        #expect(
            exposition.sum("batchgate_key_prompt_tokens_total", ["model": "tiny"])
                == exposition.value("batchgate_prompt_tokens_total", ["model": "tiny"]))
        #expect(
            exposition.sum("batchgate_key_generation_tokens_total", ["model": "tiny"])
                == exposition.value("batchgate_generation_tokens_total", ["model": "tiny"]))
        #expect(!text.contains("bg-second-secret") && !text.contains(LiveGateway.key))
        // The buckets that fit: TTFT to 60 s, end-to-end to 10 min, inter-token from 1 ms.
        #expect(text.contains(#"batchgate_time_to_first_token_seconds_bucket{model="tiny",le="60.0"}"#))
        #expect(text.contains(#"batchgate_e2e_request_latency_seconds_bucket{model="tiny",le="600.0"}"#))
        #expect(text.contains(#"batchgate_inter_token_latency_seconds_bucket{model="tiny",le="0.001"}"#))
        #expect(exposition.value("batchgate_worker_up", ["model": "tiny", "worker": "0"]) == 1)
        _ = gateway
    }

    @Test("promtool check metrics passes on a live /metrics (promtool is required under CI=true)")
    func promtoolClean() throws {
        let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        guard let promtool else {
            let underCI = ProcessInfo.processInfo.environment["CI"] == "true"
            #expect(!underCI, "promtool is missing: make test installs Debian's prometheus package")
            return
        }
        let (gateway, text) = try Self.loadedGateway()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "promtool: \(report)")
        #expect(report.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool: \(report)")
        _ = gateway
    }
}
