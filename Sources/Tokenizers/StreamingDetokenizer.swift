/// Turns generated ids into text one id at a time, emitting only complete UTF-8.
///
/// Pieces are joined as llama.cpp's `token_to_piece` renders them: the first piece of a SentencePiece stream
/// loses one leading space (the one encoding added), a byte token's byte is held until its character is complete,
/// and control tokens render only with `renderSpecial`. Space clean-up (`clean_spaces`) is not applied: like
/// llama.cpp's server, streaming emits pieces as they are.
public struct StreamingDetokenizer: Sendable {
    private let tokenizer: Tokenizer
    private let renderSpecial: Bool
    private var pending: [UInt8] = []
    private var isFirst = true

    /// Creates a detokenizer for ids produced by `tokenizer`'s model.
    public init(tokenizer: Tokenizer, renderSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    /// Adds one id and returns the text that became complete (often empty while a character is split).
    public mutating func feed(_ id: Int32) throws(TokenizerError) -> String {
        var piece = try tokenizer.pieceBytes(for: id, renderSpecial: renderSpecial)
        if isFirst {
            isFirst = false
            if tokenizer.vocabulary.addSpacePrefix, piece.first == 0x20 { piece.removeFirst() }
        }
        pending.append(contentsOf: piece)
        let complete = Self.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Returns whatever is still held (an incomplete sequence becomes U+FFFD) and resets for a new stream.
    public mutating func finish() -> String {
        let text = String(decoding: pending, as: UTF8.self)
        pending.removeAll()
        isFirst = true
        return text
    }

    /// Bytes of `bytes` that can be emitted now: all of them unless they end in the valid start of a
    /// multi-byte character that needs more bytes.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var i = n - 1
        var continuation = 0
        while i >= 0 && continuation < 3 && bytes[i] & 0xC0 == 0x80 {
            i -= 1
            continuation += 1
        }
        guard i >= 0 else { return n }
        let lead = bytes[i]
        let needed: Int
        switch lead {
        case 0xC2...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF4: needed = 4
        default: return n  // ASCII or an invalid lead: nothing to wait for
        }
        let have = n - i
        return have < needed ? i : n
    }
}
