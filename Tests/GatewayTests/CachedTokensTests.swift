import Foundation
import Gateway
import HummingbirdTesting
import OpenAIAPI
import Testing

/// `usage.prompt_tokens_details.cached_tokens`: the prompt tokens a request found in the worker's prefix cache.
@Suite("Cached prompt tokens", .serialized)
struct CachedTokensTests {
    /// A completion request for 40 prompt token ids (two full blocks of 16 and a partial one), greedy.
    static func completion(stream: Bool) -> String {
        let prompt = (0..<40).map { "\(3 + ($0 * 37) % 500)" }.joined(separator: ",")
        return #"{"model":"tiny","prompt":[\#(prompt)],"max_tokens":3,"temperature":0,"ignore_eos":true"#
            + (stream ? #","stream":true,"stream_options":{"include_usage":true}}"# : "}")
    }

    /// The usage chunk of an SSE body (the last event before `[DONE]`).
    static func streamedUsage(_ text: String) throws -> Usage? {
        let events = text.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: {") }
        let last = try #require(events.last)
        return try JSONDecoder().decode(CompletionResponse.self, from: Data(last.dropFirst(6).utf8)).usage
    }

    @Test("The first request computes its whole prompt; the same prompt again reuses its full blocks")
    func completions() async throws {
        try await TestGateway().test { client in
            let first = try await client.post("/v1/completions", json: Self.completion(stream: false))
            #expect(first.status == .ok, "\(first.text)")
            let firstUsage = try first.decode(CompletionResponse.self).usage
            #expect(firstUsage?.promptTokens == 40)
            #expect(firstUsage?.promptTokensDetails?.cachedTokens == 0)
            #expect(first.text.contains(#""prompt_tokens_details":{"cached_tokens":0}"#))

            let second = try await client.post("/v1/completions", json: Self.completion(stream: false))
            let secondBody = try second.decode(CompletionResponse.self)
            #expect(secondBody.usage?.promptTokensDetails?.cachedTokens == 32)
            #expect(secondBody.usage?.promptTokens == 40)
            #expect(secondBody.choices.first?.text == (try first.decode(CompletionResponse.self)).choices.first?.text)

            let streamed = try await client.post("/v1/completions", json: Self.completion(stream: true))
            #expect(streamed.status == .ok)
            #expect(try Self.streamedUsage(streamed.text)?.promptTokensDetails?.cachedTokens == 32)

            // One look-up per prompt, and the tokens they found.
            let metrics = try await client.get("/metrics", key: nil).text
            #expect(metrics.contains(#"batchgate_prefix_cache_queries_total{model="tiny"} 3"#), "\(metrics)")
            #expect(metrics.contains(#"batchgate_prefix_cache_hit_tokens_total{model="tiny"} 64"#))
        }
    }

    @Test("A chat whose conversation grows reuses the turns before, streamed or not")
    func chat() async throws {
        try await TestGateway(context: 512).test { client in
            let system = String(repeating: "You answer briefly and politely. ", count: 6)
            func body(_ user: String, stream: Bool) -> String {
                #"{"model":"tiny","max_tokens":2,"ignore_eos":true,"messages":[{"role":"system","content":"\#(system)"},"#
                    + #"{"role":"user","content":"\#(user)"}]"#
                    + (stream ? #","stream":true,"stream_options":{"include_usage":true}}"# : "}")
            }
            let first = try await client.post("/v1/chat/completions", json: body("What is a cat?", stream: false))
            let firstUsage = try #require(try first.decode(CompletionResponse.self).usage)
            #expect(firstUsage.promptTokensDetails?.cachedTokens == 0)
            #expect(firstUsage.promptTokens > 48)
            let second = try await client.post("/v1/chat/completions", json: body("What is a dog?", stream: true))
            let cached = try #require(try Self.streamedUsage(second.text)?.promptTokensDetails?.cachedTokens)
            // The shared system prompt, in whole blocks of 16.
            #expect(cached >= 32)
            #expect(cached % 16 == 0)
            #expect(cached < firstUsage.promptTokens)
        }
    }

    @Test("A worker whose KV cache is full of idle cached blocks gives them to new requests without an error")
    func fullCacheEvicts() async throws {
        // The tiny model's 4 MiB cache holds 1,024 blocks; 72 distinct prompts of 15 full blocks need 1,080.
        try await TestGateway().test { client in
            for seed in 0..<72 {
                let prompt = (0..<240).map { "\(3 + ($0 * 7 + seed * 131) % 500)" }.joined(separator: ",")
                let response = try await client.post(
                    "/v1/completions", json: #"{"model":"tiny","prompt":[\#(prompt)],"max_tokens":1}"#)
                #expect(response.status == .ok, "prompt \(seed): \(response.text)")
            }
            let metrics = try await client.get("/metrics", key: nil).text
            let evictions = metrics.split(separator: "\n").first {
                $0.hasPrefix(#"batchgate_prefix_cache_evictions_total{model="tiny"}"#)
            }
            let count = evictions.flatMap { $0.split(separator: " ").last }.flatMap { Int($0) }
            #expect((count ?? 0) > 0, "\(metrics)")
        }
    }
}
