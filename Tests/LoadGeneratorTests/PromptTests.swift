import Basics
import Foundation
import Testing

@testable import LoadGenerator

/// Synthetic prompts counted with a real GGUF tokenizer, and prompts read from JSONL.
@Suite("Prompts")
struct PromptTests {
    /// The qwen2 and llama-spm vocab fixtures, from `.cache/fixtures` or `$BATCHGATE_FIXTURES`.
    static func fixture(_ name: String) -> String? {
        let folders =
            [StubHarness.repositoryRoot.appendingPathComponent(".cache/fixtures").path]
            + (ProcessInfo.processInfo.environment["BATCHGATE_FIXTURES"].map { [$0] } ?? [])
        return folders.map { "\($0)/\(name)" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    @Test(
        "Synthetic prompts have exactly the asked number of tokens under a real tokenizer",
        arguments: ["ggml-vocab-qwen2.gguf", "ggml-vocab-llama-spm.gguf"])
    func exactLengths(vocabulary: String) async throws {
        let path = try #require(Self.fixture(vocabulary), "fixture \(vocabulary) missing: run make fixtures")
        let counter = try LocalTokenCounter(path: path)
        let synthesizer = PromptSynthesizer(counter: counter)
        var random = SplitMix64(seed: 11)
        for tokens in [1, 2, 17, 128, 300] {
            let text = try await synthesizer.prompt(tokens: tokens, random: &random)
            #expect(try await counter.count(text) == tokens, "\(vocabulary): \(tokens) tokens asked")
        }
        var again = SplitMix64(seed: 11)
        let first = try await synthesizer.prompt(tokens: 1, random: &again)
        var same = SplitMix64(seed: 11)
        #expect(try await synthesizer.prompt(tokens: 1, random: &same) == first)
    }

    @Test("A JSONL file gives one request per line; chat messages need the chat endpoint; bad lines are named")
    func jsonl() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-jsonl-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("prompts.jsonl").path
        try """
        {"prompt": "Tell me a story", "max_tokens": 5}

        {"messages": [{"role": "user", "content": "Hi"}]}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        var settings = BenchSettings(baseURL: "http://127.0.0.1:1", model: "m")
        settings.endpoint = .chat
        let pool = try await PreparedRequest.pool(
            from: .jsonl(path: file, output: .fixed(9)), count: 1, settings: settings, ignoreEOS: true, seed: 1)
        #expect(pool.map(\.maxTokens) == [5, 9])
        let body = String(decoding: pool[0].body.readableBytesView, as: UTF8.self)
        #expect(body.contains(#""messages":[{"content":"Tell me a story","role":"user"}]"#))
        #expect(body.contains(#""stream":true"#) && body.contains(#""ignore_eos":true"#))
        #expect(body.contains(#""stream_options":{"include_usage":true}"#))
        settings.endpoint = .completions
        await #expect(throws: BenchError.self) {
            _ = try await PreparedRequest.pool(
                from: .jsonl(path: file, output: .fixed(9)), count: 1, settings: settings, ignoreEOS: true, seed: 1)
        }
        try "{\"prompt\": \"fine\"}\nnot json\n".write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try await PreparedRequest.pool(
                from: .jsonl(path: file, output: .fixed(9)), count: 1, settings: settings, ignoreEOS: true, seed: 1)
            Issue.record("a bad line was accepted")
        } catch let error as BenchError {
            #expect(error.message.hasSuffix("prompts.jsonl:2: not a JSON object"))
        }
    }
}
