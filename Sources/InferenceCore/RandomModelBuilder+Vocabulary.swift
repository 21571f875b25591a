import GGUF

extension RandomModelBuilder {
    /// `tokenizer` with its vocabulary grown to `size` tokens, as a model whose vocabulary is larger than any vocab
    /// file at hand needs (Yi's 64,000 SentencePiece tokens on llama's 32,000): the added tokens are plain tokens
    /// named `<extra_N>` with the lowest score, so the tokenizer never builds them from text, and the embedding and
    /// output layers get their real sizes. Throws when `size` is smaller than the vocabulary.
    public static func tokenizer(_ tokenizer: GGUFMetadata, grownTo size: Int) throws(ModelBuildError) -> GGUFMetadata {
        guard case .array(let tokenType, let tokens)? = tokenizer["tokenizer.ggml.tokens"] else {
            throw ModelBuildError(.invalidVocabulary, "the tokenizer metadata has no tokenizer.ggml.tokens")
        }
        guard size >= tokens.count else {
            throw ModelBuildError(
                .invalidVocabulary, "--vocab-size \(size) is smaller than the vocabulary's \(tokens.count) tokens")
        }
        let added = size - tokens.count
        guard added > 0 else { return tokenizer }
        var out = tokenizer
        out["tokenizer.ggml.tokens"] = .array(
            elementType: tokenType, values: tokens + (0..<added).map { .string("<extra_\(tokens.count + $0)>") })
        if case .array(let type, let scores)? = tokenizer["tokenizer.ggml.scores"] {
            let lowest = scores.compactMap(\.doubleValue).min() ?? 0
            out["tokenizer.ggml.scores"] = .array(
                elementType: type, values: scores + Array(repeating: .float32(Float(lowest) - 1), count: added))
        }
        if case .array(let type, let kinds)? = tokenizer["tokenizer.ggml.token_type"] {
            // 1: a normal token.
            out["tokenizer.ggml.token_type"] = .array(
                elementType: type, values: kinds + Array(repeating: .int32(1), count: added))
        }
        return out
    }
}
