import BatchgateTestSupport
import GGUF
import Testing
import Tokenizers

@testable import InferenceCore

/// `model create --vocab-size`: a vocabulary grown with plain tokens the tokenizer never builds from text.
@Suite("Vocabulary growth")
struct VocabularyGrowthTests {
    @Test("llama-spm grown to Yi's 64,000 tokens tokenizes text as before and keeps every array the same length")
    func grownTo64k() throws {
        let original = try RandomModelBuilder.tokenizerMetadata(
            fromVocabAt: try WorkerSupport.vocabPath("ggml-vocab-llama-spm.gguf"))
        let grown = try RandomModelBuilder.tokenizer(original, grownTo: 64_000)
        for key in ["tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"] {
            #expect(grown[key]?.arrayValue?.count == 64_000, "\(key)")
        }
        #expect(grown.strings("tokenizer.ggml.tokens")?[63_999] == "<extra_63999>")
        let before = Tokenizer(vocabulary: try Vocabulary(metadata: original, path: nil))
        let after = Tokenizer(vocabulary: try Vocabulary(metadata: grown, path: nil))
        #expect(after.vocabularySize == 64_000)
        for text in ["Hello world", "<extra_32001> is text, not a token", "  spaces\nand lines  "] {
            #expect(
                after.encode(text, addSpecial: true, parseSpecial: true)
                    == before.encode(text, addSpecial: true, parseSpecial: true))
        }
        #expect(try RandomModelBuilder.tokenizer(original, grownTo: 32_000) == original)
        #expect(throws: ModelBuildError.self) { try RandomModelBuilder.tokenizer(original, grownTo: 31_999) }
    }
}
