import Foundation
import NIOCore
import Testing

@testable import LoadGenerator

/// The workloads that share prefixes (a common system prompt; multi-turn conversations) and the cached-token
/// share read from the server's usage.
@Suite("Prefix workloads")
struct PrefixWorkloadTests {
    static func object(_ request: PreparedRequest) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(request.body.readableBytesView)) as? [String: Any])
    }

    @Test("A usage chunk's prompt and cached tokens are read; chunk text is kept only when asked")
    func usageAndText() {
        let stream =
            #"data: {"choices":[{"delta":{"content":"Hel"}}]}"# + "\n\n"
            + #"data: {"choices":[{"delta":{"content":"lo \"you\"\n"}}]}"# + "\n\n"
            + #"data: {"choices":[],"usage":{"prompt_tokens":40,"completion_tokens":2,"total_tokens":42,"#
            + #""prompt_tokens_details":{"cached_tokens":32}}}"# + "\n\ndata: [DONE]\n\n"
        var plain = SSEScanner()
        _ = plain.feed(Array(stream.utf8))
        #expect(plain.promptTokens == 40)
        #expect(plain.cachedTokens == 32)
        #expect(plain.text.isEmpty)
        var capturing = SSEScanner()
        capturing.capturesText = true
        for byte in stream.utf8 { _ = capturing.feed([byte]) }
        #expect(capturing.text == "Hello \"you\"\n")
        #expect(capturing.cachedTokens == 32)
        // A server that does not report cached tokens leaves them unknown.
        var older = SSEScanner()
        _ = older.feed(Array((#"data: {"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2}}"# + "\n").utf8))
        #expect(older.promptTokens == 4)
        #expect(older.cachedTokens == nil)
    }

    @Test("A shared system prompt goes first: a system message for chat, the first line for completions")
    func sharedPrefix() throws {
        let chat = try PreparedRequest(
            system: "You are terse.", question: "Why?", promptTokens: 12, maxTokens: 4, model: "m", endpoint: .chat,
            ignoreEOS: true)
        let messages = try #require(try Self.object(chat)["messages"] as? [[String: String]])
        #expect(messages == [["role": "system", "content": "You are terse."], ["role": "user", "content": "Why?"]])
        let completion = try PreparedRequest(
            system: "You are terse.", question: "Why?", promptTokens: 12, maxTokens: 4, model: "m",
            endpoint: .completions, ignoreEOS: true)
        #expect(try Self.object(completion)["prompt"] as? String == "You are terse.\nWhy?")
        // Without a shared prompt the body is the plain single prompt it always was.
        let plain = try PreparedRequest(
            system: nil, question: "Why?", promptTokens: 2, maxTokens: 4, model: "m", endpoint: .completions,
            ignoreEOS: false)
        let old = try PreparedRequest(
            prompt: "Why?", messages: nil, promptTokens: 2, maxTokens: 4, model: "m", endpoint: .completions,
            ignoreEOS: false)
        #expect(plain.body == old.body)
    }

    @Test("A conversation's turn resends the system prompt, every question and answer so far, then its question")
    func conversationTurn() throws {
        var settings = BenchSettings(baseURL: "http://x", model: "m")
        settings.endpoint = .chat
        let first = try PreparedRequest(
            system: "S", question: "Q2", promptTokens: 3, maxTokens: 8, model: "m", endpoint: .chat, ignoreEOS: true)
        let turn = try first.turn(after: [("Q0", "A0"), ("Q1", "A1")], settings: settings)
        let object = try Self.object(turn)
        let messages = try #require(object["messages"] as? [[String: String]])
        #expect(messages.map { $0["role"]! } == ["system", "user", "assistant", "user", "assistant", "user"])
        #expect(messages.map { $0["content"]! } == ["S", "Q0", "A0", "Q1", "A1", "Q2"])
        #expect(object["max_tokens"] as? Int == 8)
        #expect(object["ignore_eos"] as? Bool == true)
        #expect(turn.promptTokens == nil)
        settings.endpoint = .completions
        let text = try first.turn(after: [("Q0", "A0")], settings: settings)
        #expect(try Self.object(text)["prompt"] as? String == "S\nQ0\nA0\nQ2")
    }

    @Test("Conversations: every turn is a request, and each resends the answers before it")
    func conversations() async throws {
        try await StubHarness.withStub { _, client, base in
            var settings = base
            settings.endpoint = .chat
            settings.shape = .concurrency(2)
            settings.requests = 6
            settings.conversation = Conversation(turns: 3)
            let pool = try await StubHarness.pool(client: client, settings: settings, maxTokens: 3)
            let report = await BenchSession.run(client: client, settings: settings, pool: pool, seed: 1)
            #expect(report.requests_completed == 6)
            // The stub counts words: 32 per question, 3 per answer (" tok0 tok1 tok2"), all resent every turn.
            #expect(report.prompt_tokens_total == 2 * (32 + (32 + 3 + 32) + (32 + 3 + 32 + 3 + 32)))
        }
    }
}
