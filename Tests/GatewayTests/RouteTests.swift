import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenAIAPI
import Testing

/// Every route, answered as OpenAI (or vLLM, for tokenize) shapes it.
@Suite("Routes", .serialized)
struct RouteTests {
    @Test("GET /v1/models lists the models the key may use")
    func models() async throws {
        try await TestGateway().test { client in
            let list = try await client.get("/v1/models").decode(ModelList.self)
            #expect(list.object == "list")
            #expect(list.data.map(\.id) == ["tiny"])
            let restricted = try await client.get("/v1/models", key: TestKeys.restricted).decode(ModelList.self)
            #expect(restricted.data.isEmpty)
        }
    }

    @Test("A chat completion answers with one choice, its finish reason and usage")
    func chat() async throws {
        try await TestGateway().test { client in
            let response = try await client.post(
                "/v1/chat/completions",
                json:
                    #"{"model":"tiny","messages":[{"role":"user","content":"hello"}],"max_tokens":5,"ignore_eos":true}"#
            )
            #expect(response.status == .ok, "\(response.text)")
            let body = try response.decode(CompletionResponse.self)
            #expect(body.object == "chat.completion")
            #expect(body.id.hasPrefix("chatcmpl-"))
            #expect(body.model == "tiny")
            #expect(body.choices.count == 1)
            #expect(body.choices[0].message?.role == "assistant")
            #expect(body.choices[0].finishReason == "length")
            #expect(body.usage?.completionTokens == 5)
            #expect(body.usage.map { $0.promptTokens > 0 && $0.totalTokens == $0.promptTokens + 5 } == true)
        }
    }

    @Test("Greedy completions of token ids are deterministic, and logprobs come with their alternatives")
    func completionWithLogprobs() async throws {
        try await TestGateway().test { client in
            let request =
                #"{"model":"tiny","prompt":[1,15,200,37],"max_tokens":4,"temperature":0,"ignore_eos":true,"logprobs":3}"#
            let first = try await client.post("/v1/completions", json: request).decode(CompletionResponse.self)
            let second = try await client.post("/v1/completions", json: request).decode(CompletionResponse.self)
            #expect(first.object == "text_completion")
            #expect(first.choices[0].text == second.choices[0].text)
            let logprobs = try #require(first.choices[0].completionLogprobs)
            #expect(logprobs.tokens.count == 4)
            #expect(logprobs.tokenLogprobs.allSatisfy { $0 <= 0 })
            #expect(logprobs.topLogprobs.allSatisfy { $0.count == 3 })
            #expect(first.choices[0].text == logprobs.tokens.joined() || !(first.choices[0].text ?? "").isEmpty)
        }
    }

    @Test("A stream is SSE: role chunk, text chunks, a finish chunk, the usage chunk, then [DONE]")
    func stream() async throws {
        try await TestGateway().test { client in
            let response = try await client.post(
                "/v1/chat/completions",
                json: #"{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":6,"ignore_eos":true,"#
                    + #""stream":true,"stream_options":{"include_usage":true}}"#)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = response.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.allSatisfy { $0.hasPrefix("data: ") })
            #expect(events.last == "data: [DONE]")
            let chunks = try events.dropLast().map {
                try JSONDecoder().decode(CompletionResponse.self, from: Data($0.dropFirst(6).utf8))
            }
            #expect(chunks.allSatisfy { $0.object == "chat.completion.chunk" })
            #expect(chunks.first?.choices.first?.delta?.role == "assistant")
            let usage = try #require(chunks.last)
            #expect(usage.choices.isEmpty)
            #expect(usage.usage?.completionTokens == 6)
            let finish = chunks[chunks.count - 2]
            #expect(finish.choices.first?.finishReason == "length")
            #expect(chunks.dropLast(2).allSatisfy { $0.choices.first?.finishReason == nil })
        }
    }

    @Test("A stop string ends the text before it, with finish_reason stop")
    func stopString() async throws {
        try await TestGateway().test { client in
            let plain = try await client.post(
                "/v1/completions",
                json: #"{"model":"tiny","prompt":[1,15,200],"max_tokens":12,"temperature":0,"ignore_eos":true}"#
            ).decode(CompletionResponse.self)
            let text = try #require(plain.choices[0].text)
            // Cut at a character in the middle of the greedy text, which must then end just before it.
            let characters = Array(text)
            try #require(characters.count >= 4)
            let stop = String(characters[characters.count / 2])
            let stopped = try await client.post(
                "/v1/completions",
                json: #"{"model":"tiny","prompt":[1,15,200],"max_tokens":12,"temperature":0,"ignore_eos":true,"stop":"#
                    + "[\(String(decoding: try JSONEncoder().encode(stop), as: UTF8.self))]}"
            ).decode(CompletionResponse.self)
            let expected = String(text[..<text.range(of: stop)!.lowerBound])
            #expect(stopped.choices[0].text == expected)
            #expect(stopped.choices[0].finishReason == "stop")
        }
    }

    @Test("/tokenize and /detokenize round-trip, /health/* answer without a key, /metrics is Prometheus text")
    func tokenizeHealthMetrics() async throws {
        try await TestGateway().test { client in
            let tokens = try await client.post("/tokenize", json: #"{"model":"tiny","prompt":"hello world"}"#)
            #expect(tokens.status == .ok, "\(tokens.text)")
            let ids = try JSONSerialization.jsonObject(with: Data(tokens.body.readableBytesView)) as? [String: Any]
            let list = try #require(ids?["tokens"] as? [Int])
            #expect(!list.isEmpty)
            let text = try await client.post(
                "/detokenize", json: #"{"model":"tiny","tokens":"# + "\(list.dropFirst())}")
            #expect(text.text.contains("hello world"), "\(text.text)")
            #expect(try await client.get("/health/live", key: nil).status == .ok)
            #expect(try await client.get("/health/ready", key: nil).status == .ok)
            _ = try await client.post("/v1/completions", json: #"{"model":"tiny","prompt":"a","max_tokens":1}"#)
            let metrics = try await client.get("/metrics", key: nil)
            #expect(metrics.status == .ok)
            for name in [
                "batchgate_requests_total", "batchgate_time_to_first_token_seconds", "batchgate_prompt_tokens_total",
                "batchgate_generation_tokens_total", "batchgate_e2e_request_latency_seconds",
                "batchgate_num_requests_running",
                "batchgate_num_requests_waiting", "batchgate_kv_cache_usage_perc", "batchgate_batch_size",
                "batchgate_request_queue_time_seconds",
            ] {
                #expect(metrics.text.contains(name), "\(name) missing from /metrics")
            }
        }
    }
}
