import Foundation
import Testing

/// Prefix caching through the real gateway process and its worker processes (protocol version 2 on the rings).
@Suite("Live prefix cache", .serialized)
struct LivePrefixCacheTests {
    @Test("A repeated prompt is answered from the worker's cache: usage, the request log and /metrics say so")
    func repeatedPrompt() throws {
        let gateway = try LiveGateway(workers: 2)
        let prompt = (0..<80).map { "\(3 + ($0 * 53) % 500)" }.joined(separator: ",")
        let body = #"{"model":"tiny","prompt":[\#(prompt)],"max_tokens":4,"temperature":0,"ignore_eos":true}"#
        var texts: [String] = []
        for round in 0..<3 {
            let (output, status) = try gateway.curl([
                gateway.url("/v1/completions"), "-H", "Authorization: Bearer \(LiveGateway.key)", "-H",
                "Content-Type: application/json", "-d", body,
            ])
            #expect(status == 0)
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
            let usage = try #require(json["usage"] as? [String: Any], "\(output)")
            let details = try #require(usage["prompt_tokens_details"] as? [String: Any], "\(output)")
            #expect(usage["prompt_tokens"] as? Int == 80)
            // 80 tokens are five full blocks; the last token is always computed, so four are reused.
            #expect(details["cached_tokens"] as? Int == (round == 0 ? 0 : 64), "round \(round): \(output)")
            texts.append(((json["choices"] as? [[String: Any]])?.first?["text"] as? String) ?? "")
        }
        #expect(Set(texts).count == 1, "\(texts)")
        let deadline = Date().addingTimeInterval(10)
        var lines: [Substring] = []
        repeat {
            lines = gateway.logText.split(separator: "\n").filter { $0.contains("path=/v1/completions") }
            if lines.count >= 3 { break }
            usleep(50_000)
        } while Date() < deadline
        #expect(lines.filter { $0.contains("cached_tokens=64") }.count == 2, "\(gateway.logText.suffix(3000))")
        let metrics = try gateway.curl([gateway.url("/metrics")]).output
        #expect(metrics.contains(#"batchgate_prefix_cache_hit_tokens_total{model="tiny"} 128"#), "\(metrics)")
        #expect(metrics.contains(#"batchgate_prefix_cache_queries_total{model="tiny"} 3"#))
    }
}
