import Foundation
import GGUF
import Testing

@testable import Tokenizers

/// The real SmolLM2-135M-Instruct file and the llama.cpp golden ids made from it
/// (`scripts/make-smollm-tokenizer-golden.py`).
enum SmolLM {
    static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// `$BATCHGATE_MODELS/<file>`, else `<package root>/.cache/models/<file>`; fails the test (never skips it)
    /// when the file is missing.
    static func requirePath() throws -> String {
        let environment = ProcessInfo.processInfo.environment["BATCHGATE_MODELS"] ?? ""
        let directory = environment.isEmpty ? packageRoot.appendingPathComponent(".cache/models").path : environment
        let path = directory + "/" + fileName
        try #require(
            FileManager.default.fileExists(atPath: path),
            "model \(path) is missing: run scripts/fetch-smollm2.sh (or link .cache/models, or set BATCHGATE_MODELS)")
        return path
    }

    private static let cache = TokenizerCache()

    /// The tokenizer of the real file, built once per test process.
    static func tokenizer() throws -> Tokenizer {
        try cache.get(try requirePath())
    }

    /// The golden variants' vocabulary (the Llama 3 fixture) with `tokenizer.ggml.pre` replaced by `pre` and without
    /// `add_bos_token`, as the golden script's copies are.
    static func variantTokenizer(pre: String) throws -> Tokenizer {
        let golden = try requireGolden()
        try #require(golden.variant_vocab == "ggml-vocab-llama-bpe.gguf", "unexpected \(golden.variant_vocab)")
        let file = try GGUFFile(path: try Fixtures.requirePath("llama-bpe"))
        var metadata = file.metadata
        metadata["tokenizer.ggml.pre"] = .string(pre)
        metadata["tokenizer.ggml.add_bos_token"] = nil
        return Tokenizer(vocabulary: try Vocabulary(metadata: metadata, path: "\(file.path) (pre \(pre))"))
    }

    /// The golden file as the script writes it.
    struct Golden: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int32]
            /// llama.cpp's `llama_detokenize` output when it differs from `text`.
            let decoded: String?
        }
        struct Variant: Decodable {
            /// Tokenized from `alias_texts` rather than `variant_texts`.
            let short: Bool
            let adds_bos: Bool
            let ids: [[Int32]]
            /// Detokenized texts that differ from the text, by index in `variant_texts`.
            let decoded: [String: String]
        }
        struct Chat: Decodable {
            struct Message: Decodable {
                let role: String
                let content: String
            }
            let messages: [Message]
            let add_generation_prompt: Bool
            /// The prompt the file's Jinja template renders.
            let text: String
            /// llama.cpp's ids for `text` (special tokens parsed, no BOS added).
            let ids: [Int32]
        }
        let reference: String
        let adds_bos: Bool
        let cases: [Case]
        /// The fixture vocabulary the variants were tokenized with.
        let variant_vocab: String
        /// The texts of the variants: the cases' texts and a few aimed at single splitter rules.
        let variant_texts: [String]
        /// The shorter list the aliases (names sharing a splitter) were tokenized from.
        let alias_texts: [String]
        let variants: [String: Variant]
        let chats: [Chat]
    }

    /// Reads `Golden/smollm2-tokenizer.json` (committed next to the tests).
    static let golden: Golden? = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Golden/smollm2-tokenizer.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try? JSONDecoder().decode(Golden.self, from: data)
    }()

    static func requireGolden() throws -> Golden {
        try #require(golden, "Tests/TokenizersTests/Golden/smollm2-tokenizer.json is missing or unreadable")
    }

    /// Variant names in the golden file (sorted; empty when the file is unreadable, which `requireGolden` reports).
    static let variantNames: [String] = golden.map { $0.variants.keys.sorted() } ?? []
}
