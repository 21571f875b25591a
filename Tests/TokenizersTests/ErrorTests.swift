import GGUF
import Testing

@testable import Tokenizers

@Suite("Errors")
struct ErrorTests {
    @Test("Decoding an out-of-range id throws instead of crashing", arguments: [-1, 151_936, Int32.max])
    func outOfRange(id: Int32) throws {
        let qwen = try Fixtures.tokenizer("qwen2")
        #expect {
            try qwen.decode([9707, id])
        } throws: { ($0 as? TokenizerError)?.code == .tokenOutOfRange }
        #expect(throws: TokenizerError.self) { try qwen.piece(for: id) }
    }

    @Test("A GGUF without tokenizer keys names the file and the key")
    func missingTokenizer() {
        var metadata = GGUFMetadata()
        metadata["general.architecture"] = .string("llama")
        #expect {
            try Vocabulary(metadata: metadata, path: "/models/weights-only.gguf")
        } throws: { error in
            guard let error = error as? TokenizerError else { return false }
            return error.code == .missingKey && error.description.hasPrefix("/models/weights-only.gguf: ")
                && error.description.contains("tokenizer.ggml.model")
        }
    }

    @Test("Unsupported models and pre-tokenizers are refused by name")
    func unsupported() {
        var metadata = GGUFMetadata()
        metadata["tokenizer.ggml.model"] = .string("bert")
        metadata["tokenizer.ggml.tokens"] = .array(elementType: .string, values: [.string("a")])
        #expect {
            try Vocabulary(metadata: metadata)
        } throws: { ($0 as? TokenizerError)?.code == .unsupportedModel && "\($0)".contains("'bert'") }
        metadata["tokenizer.ggml.model"] = .string("gpt2")
        metadata["tokenizer.ggml.pre"] = .string("chameleon")
        metadata["tokenizer.ggml.merges"] = .array(elementType: .string, values: [])
        #expect {
            try Vocabulary(metadata: metadata)
        } throws: { ($0 as? TokenizerError)?.code == .unsupportedPreTokenizer && "\($0)".contains("'chameleon'") }
    }

    @Test("A wrongly typed key is reported with its name")
    func invalidKey() {
        var metadata = GGUFMetadata()
        metadata["tokenizer.ggml.model"] = .string("llama")
        metadata["tokenizer.ggml.tokens"] = .uint32(5)
        #expect {
            try Vocabulary(metadata: metadata)
        } throws: { ($0 as? TokenizerError)?.code == .invalidKey && "\($0)".contains("tokenizer.ggml.tokens") }
    }

    @Test("A missing file is a TokenizerError naming it")
    func missingFile() {
        #expect {
            try Tokenizer(path: "/nonexistent/model.gguf")
        } throws: { "\($0)".contains("/nonexistent/model.gguf") }
    }
}
