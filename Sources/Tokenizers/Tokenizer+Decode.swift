extension Tokenizer {
    /// How llama.cpp's `token_to_piece` renders an entry (with special tokens rendered).
    static func renderPiece(_ text: String, type: TokenType, model: Vocabulary.Model) -> [UInt8] {
        switch type {
        case .control, .unknown, .userDefined:
            return Array(text.utf8)
        case .normal:
            switch model {
            case .sentencePiece:
                var out: [UInt8] = []
                let utf8 = Array(text.utf8)
                var i = 0
                while i < utf8.count {
                    if i + 2 < utf8.count && utf8[i] == 0xE2 && utf8[i + 1] == 0x96 && utf8[i + 2] == 0x81 {
                        out.append(0x20)
                        i += 3
                    } else {
                        out.append(utf8[i])
                        i += 1
                    }
                }
                return out
            case .bytePairEncoding:
                return ByteLevel.decode(text)
            }
        case .byte:
            // `<0xNN>`: llama.cpp reads the two hex digits at offset 3.
            let utf8 = Array(text.utf8)
            guard utf8.count >= 5, let value = UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16) else {
                return []
            }
            return [value]
        case .undefined, .unused:
            return []
        }
    }

    /// The bytes `id` decodes to; control and unknown tokens give their text only with `renderSpecial`.
    public func piece(for id: Int32, renderSpecial: Bool = true) throws(TokenizerError) -> [UInt8] {
        Array(try pieceBytes(for: id, renderSpecial: renderSpecial))
    }

    /// `piece(for:renderSpecial:)` without a copy.
    func pieceBytes(for id: Int32, renderSpecial: Bool) throws(TokenizerError) -> ArraySlice<UInt8> {
        guard id >= 0 && Int(id) < pieces.count else {
            throw TokenizerError(
                .tokenOutOfRange, path: vocabulary.path,
                "token id \(id) is out of range (the vocabulary has \(pieces.count) tokens)")
        }
        if !renderSpecial && vocabulary.types[Int(id)].isSpecial { return [] }
        return pieces[Int(id)]
    }

    /// Decodes ids to bytes like llama.cpp's `llama_detokenize`.
    ///
    /// - `removeSpecial`: drop a leading BOS and trailing EOS when the vocabulary adds them.
    /// - `renderSpecial`: include the text of control tokens (`<|im_end|>`, `<s>`).
    /// - `cleanSpaces`: tidy spaces before punctuation and contractions; nil uses the vocabulary's setting
    ///   (on for GPT-2 and Llama 3, off for Qwen2 and SentencePiece).
    /// SentencePiece's leading space (added when encoding) is removed from the first piece.
    public func decodeBytes(
        _ ids: [Int32], removeSpecial: Bool = false, renderSpecial: Bool = false, cleanSpaces: Bool? = nil
    ) throws(TokenizerError) -> [UInt8] {
        var ids = ids[...]
        var removeSpace = vocabulary.addSpacePrefix
        if removeSpecial && vocabulary.addBOS, let first = ids.first, first == vocabulary.bos {
            removeSpace = false
            ids = ids.dropFirst()
        }
        if removeSpecial && vocabulary.addEOS, let last = ids.last, last == vocabulary.eos {
            ids = ids.dropLast()
        }
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 4)
        for id in ids {
            let piece = try pieceBytes(for: id, renderSpecial: renderSpecial)
            if removeSpace, piece.first == 0x20 {
                out.append(contentsOf: piece.dropFirst())
            } else {
                out.append(contentsOf: piece)
            }
            removeSpace = false
        }
        if cleanSpaces ?? vocabulary.cleanSpaces { Self.cleanSpaces(&out) }
        return out
    }

    /// Decodes ids to text (invalid UTF-8 becomes U+FFFD); see `decodeBytes` for the flags.
    /// Throws `tokenOutOfRange` for an id outside the vocabulary.
    public func decode(
        _ ids: [Int32], removeSpecial: Bool = false, renderSpecial: Bool = false, cleanSpaces: Bool? = nil
    ) throws(TokenizerError) -> String {
        let bytes = try decodeBytes(
            ids, removeSpecial: removeSpecial, renderSpecial: renderSpecial, cleanSpaces: cleanSpaces)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// llama.cpp's three clean-up passes: " ?", " !", " .", " ," lose the space; " ' " loses both spaces;
    /// " 's", " 'm", " 're", " 've" lose the space.
    static func cleanSpaces(_ text: inout [UInt8]) {
        let space = UInt8(ascii: " ")
        let quote = UInt8(ascii: "'")
        guard text.count > 1 else { return }
        var out: [UInt8] = [text[0]]
        for i in 1..<text.count {
            let x = text[i]
            if text[i - 1] == space
                && (x == UInt8(ascii: "?") || x == UInt8(ascii: "!") || x == UInt8(ascii: ".")
                    || x == UInt8(ascii: ","))
            {
                out.removeLast()
            }
            out.append(x)
        }
        text = out
        guard text.count > 1 else { return }
        // In place, as llama.cpp does: the dropped space after " ' " is overwritten with NUL before being skipped,
        // so it no longer counts as a space for the next character.
        var total = 1
        var i = 1
        let count2 = text.count
        while i < count2 {
            let x = text[i]
            if x == quote && i + 1 < count2 && text[i - 1] == space && text[i + 1] == space {
                total -= 1
                i += 1
                text[i] = 0
            }
            text[total] = x
            total += 1
            i += 1
        }
        text.removeSubrange(total...)
        out = text
        text = out
        guard text.count > 1 else { return }
        out = [text[0]]
        for i in 1..<text.count {
            let x = text[i]
            if text[i - 1] == space && x == quote && i + 1 < text.count {
                let x1 = text[i + 1]
                if x1 == UInt8(ascii: "s") || x1 == UInt8(ascii: "m") {
                    out.removeLast()
                } else if i + 2 < text.count {
                    let x2 = text[i + 2]
                    if (x1 == UInt8(ascii: "r") && x2 == UInt8(ascii: "e"))
                        || (x1 == UInt8(ascii: "v") && x2 == UInt8(ascii: "e"))
                    {
                        out.removeLast()
                    }
                }
            }
            out.append(x)
        }
        text = out
    }
}
