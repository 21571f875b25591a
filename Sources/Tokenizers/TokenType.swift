/// The kind of a vocabulary entry, as stored in `tokenizer.ggml.token_type`.
public enum TokenType: Int32, Sendable, CaseIterable {
    /// No type given (or an unknown number); decodes to nothing.
    case undefined = 0
    /// Ordinary text.
    case normal = 1
    /// The unknown-token placeholder.
    case unknown = 2
    /// A control token such as `<s>` or `<|im_start|>`; matched in text only with `parseSpecial`.
    case control = 3
    /// A token added by the model's authors; always matched in text, even without `parseSpecial`.
    case userDefined = 4
    /// A reserved, unused slot; decodes to nothing.
    case unused = 5
    /// A SentencePiece byte-fallback token `<0xNN>`.
    case byte = 6

    /// True for control and unknown tokens: the ones llama.cpp calls "special" when rendering.
    public var isSpecial: Bool { self == .control || self == .unknown }
}
