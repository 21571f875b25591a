import Foundation
import GGUF
import Testing

@testable import Tokenizers

/// The vocab-only GGUF fixtures and their llama.cpp test cases (`make fixtures` fetches them).
enum Fixtures {
    static let names = ["qwen2", "llama-spm", "llama-bpe", "gpt-2"]

    /// `BATCHGATE_FIXTURES`, else `<package root>/.cache/fixtures` found from this file's path.
    static var directory: String {
        if let env = ProcessInfo.processInfo.environment["BATCHGATE_FIXTURES"], !env.isEmpty { return env }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".cache/fixtures").path
    }

    static func path(_ name: String) -> String { "\(directory)/ggml-vocab-\(name).gguf" }

    /// Fails the test (never skips) when the fixture is missing.
    static func requirePath(_ name: String) throws -> String {
        let path = path(name)
        try #require(
            FileManager.default.fileExists(atPath: path),
            "fixture \(path) is missing: run `make fixtures` (or set BATCHGATE_FIXTURES)")
        return path
    }

    private static let cache = TokenizerCache()

    /// The tokenizer for a fixture, built once per test process.
    static func tokenizer(_ name: String) throws -> Tokenizer {
        let path = try requirePath(name)
        return try cache.get(path)
    }

    /// One llama.cpp test case.
    struct Case: Sendable, CustomTestStringConvertible {
        let vocab: String
        let index: Int
        let text: String
        let ids: [Int32]
        var testDescription: String { "\(vocab) #\(index) \(String(reflecting: text).prefix(40))" }
    }

    /// The cases of `.inp`/`.out`, split as test-tokenizer-0 does: inputs at "\n__ggml_vocab_test__\n"
    /// (a trailing separator ends the list), outputs one line each, trimmed, ids separated by spaces.
    static func cases(_ name: String) -> [Case] {
        let base = path(name)
        guard let inp = FileManager.default.contents(atPath: base + ".inp"),
            let out = FileManager.default.contents(atPath: base + ".out")
        else { return [] }
        let raw = String(decoding: inp, as: UTF8.self)
        var inputs = raw.components(separatedBy: "\n__ggml_vocab_test__\n")
        if inputs.last == "" { inputs.removeLast() }
        var lines = String(decoding: out, as: UTF8.self).components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        guard inputs.count == lines.count else { return [] }
        return zip(inputs, lines).enumerated().map { index, pair in
            let ids = pair.1.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
            return Case(vocab: name, index: index, text: pair.0, ids: ids)
        }
    }

    /// Every case of every fixture (empty when fixtures are missing; `FixtureCaseTests` then fails loudly).
    static let allCases: [Case] = names.flatMap { cases($0) }
}

/// Builds each fixture tokenizer once; tests run in parallel.
final class TokenizerCache: Sendable {
    private let lock = NSLock()
    nonisolated(unsafe) private var tokenizers: [String: Tokenizer] = [:]  // guarded by `lock`

    func get(_ path: String) throws -> Tokenizer {
        lock.lock()
        defer { lock.unlock() }
        if let found = tokenizers[path] { return found }
        let made = try Tokenizer(path: path)
        tokenizers[path] = made
        return made
    }
}
