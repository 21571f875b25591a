import BatchgateConfig
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import OpenAIAPI
import Testing

/// Quotas as a client sees them through the API.
@Suite("Quotas over HTTP", .serialized)
struct QuotaHTTPTests {
    static let limitedKey = "bg-limited"
    static func keys(_ quota: BatchgateConfiguration.Quota) -> [BatchgateConfiguration.APIKey] {
        TestKeys.entries + [
            .init(name: "limited", sha256: [APIKeyDigest.sha256Hex(of: limitedKey)], quotas: ["tiny": quota])
        ]
    }
    static let small = #"{"model":"tiny","prompt":[1,15,200],"max_tokens":2,"ignore_eos":true}"#

    @Test("Over quota: 429 rate_limit_exceeded naming the quota, Retry-After, x-ratelimit-* on every answer")
    func refusal() async throws {
        let clock = ManualClock()
        try await TestGateway(keys: Self.keys(.init(requestsPerMinute: 2)), quotaClock: clock.read).test { client in
            for remaining in ["1", "0"] {
                let ok = try await client.post("/v1/completions", json: Self.small, key: Self.limitedKey)
                #expect(ok.status == .ok)
                #expect(ok.headers[HTTPField.Name("x-ratelimit-limit-requests")!] == "2")
                #expect(ok.headers[HTTPField.Name("x-ratelimit-remaining-requests")!] == remaining)
                #expect(ok.headers[HTTPField.Name("x-ratelimit-reset-requests")!] != nil)
            }
            let refused = try await client.post("/v1/completions", json: Self.small, key: Self.limitedKey)
            #expect(refused.status == .tooManyRequests)
            let error = try refused.decode(ErrorBody.self).error
            #expect(error.type == "rate_limit_exceeded")
            #expect(error.code == "requests")
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 59)
            #expect(refused.headers[HTTPField.Name("x-ratelimit-remaining-requests")!] == "0")
            // The unlimited key is not affected, and a bad request of the limited key carries its headers too.
            #expect(try await client.post("/v1/completions", json: Self.small).status == .ok)
            let bad = try await client.post(
                "/v1/completions", json: #"{"model":"tiny","prompt":[1],"max_tokens":-1}"#, key: Self.limitedKey)
            #expect(bad.status == .badRequest)
            #expect(bad.headers[HTTPField.Name("x-ratelimit-limit-requests")!] == "2")
            clock.advance(.seconds(61))
            #expect(try await client.post("/v1/completions", json: Self.small, key: Self.limitedKey).status == .ok)
        }
    }

    @Test("A stream that exhausts the token quota ends with finish_reason length; the next request is refused")
    func tokensRunOutMidStream() async throws {
        let clock = ManualClock()
        try await TestGateway(keys: Self.keys(.init(tokensPerMinute: 20)), quotaClock: clock.read).test { client in
            let response = try await client.post(
                "/v1/completions",
                json: #"{"model":"tiny","prompt":[1,15,200,37,99],"max_tokens":100,"ignore_eos":true,"stream":true,"#
                    + #""stream_options":{"include_usage":true}}"#, key: Self.limitedKey)
            #expect(response.status == .ok)
            let events = response.text.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: {") }
            let chunks = try events.map {
                try JSONDecoder().decode(CompletionResponse.self, from: Data($0.dropFirst(6).utf8))
            }
            #expect(chunks.compactMap { $0.choices.first?.finishReason }.last == "length")
            // 5 prompt tokens and 15 generated tokens use the whole 20-token minute.
            #expect(chunks.last?.usage?.completionTokens == 15, "\(response.text)")
            let next = try await client.post("/v1/completions", json: Self.small, key: Self.limitedKey)
            #expect(next.status == .tooManyRequests)
            #expect(try next.decode(ErrorBody.self).error.code == "tokens")
            let report = try await client.get("/v1/quotas", key: Self.limitedKey).decode(QuotaReport.self)
            #expect(report.key == "limited")
            #expect(report.data.first?.tokensPerMinute?.remaining == 0)
            #expect(report.data.first?.tokensPerMinute?.limit == 20)
        }
    }

    @Test("GET /v1/quotas shows the limits and the slots in use; a key without quotas has none")
    func quotasRoute() async throws {
        try await TestGateway(keys: Self.keys(.init(requestsPerMinute: 10, concurrentRequests: 3))).test { client in
            _ = try await client.post("/v1/completions", json: Self.small, key: Self.limitedKey)
            let report = try await client.get("/v1/quotas", key: Self.limitedKey).decode(QuotaReport.self)
            let entry = try #require(report.data.first)
            #expect(entry.model == "tiny")
            #expect(entry.requestsPerMinute?.limit == 10)
            #expect(entry.requestsPerMinute?.remaining == 9)
            #expect(entry.concurrentRequests?.limit == 3)
            #expect(entry.concurrentRequests?.inUse == 0)
            #expect(entry.tokensPerMinute == nil)
            #expect(try await client.get("/v1/quotas").decode(QuotaReport.self).data.isEmpty)
        }
    }
}
