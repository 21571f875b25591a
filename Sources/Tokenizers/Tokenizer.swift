import GGUF

/// Text ↔ token ids for one model, giving the same ids as llama.cpp for the same GGUF vocabulary.
///
/// Immutable after `init`, so one instance serves every request concurrently; each call keeps its scratch
/// buffers on its own stack.
public final class Tokenizer: Sendable {
    /// One piece of text to encode and whether special-token texts in it become special tokens.
    public struct Segment: Sendable, Equatable {
        /// The text.
        public var text: String
        /// True for trusted scaffolding (chat template markers); false for user content.
        public var parseSpecial: Bool

        /// Creates a segment.
        public init(_ text: String, parseSpecial: Bool) {
            self.text = text
            self.parseSpecial = parseSpecial
        }
    }

    /// The vocabulary this tokenizer was built from.
    public let vocabulary: Vocabulary
    /// What each id decodes to when special tokens are rendered (llama.cpp's piece cache).
    let pieces: PieceTable
    let specialMatcher: SpecialTokenMatcher
    let sentencePiece: SentencePieceModel?
    let bytePair: BytePairModel?

    /// Builds the look-up tables for `vocabulary`.
    public init(vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        pieces = PieceTable(
            zip(vocabulary.tokens, vocabulary.types).lazy.map {
                Self.renderPiece($0, type: $1, model: vocabulary.model)
            })
        specialMatcher = SpecialTokenMatcher(vocabulary: vocabulary)
        switch vocabulary.model {
        case .sentencePiece:
            let texts = ByteStringTable(
                vocabulary.tokens.enumerated().lazy.map { (Array($1.utf8), Int32($0)) }, capacity: vocabulary.count)
            sentencePiece = SentencePieceModel(vocabulary: vocabulary, texts: texts)
            bytePair = nil
        case .bytePairEncoding:
            var idsByText: [String: Int32] = [:]
            idsByText.reserveCapacity(vocabulary.count)
            for (i, text) in vocabulary.tokens.enumerated() where idsByText[text] == nil { idsByText[text] = Int32(i) }
            let raw = ByteStringTable(
                vocabulary.ignoreMerges
                    ? vocabulary.tokens.enumerated().map { (ByteLevel.decode($1), Int32($0)) } : [],
                capacity: vocabulary.ignoreMerges ? vocabulary.count : 0)
            bytePair = BytePairModel(vocabulary: vocabulary, idsByText: idsByText, rawBytes: raw)
            sentencePiece = nil
        }
    }

    /// Reads the vocabulary of `file` and builds the tokenizer.
    public convenience init(file: GGUFFile) throws(TokenizerError) {
        self.init(vocabulary: try Vocabulary(file: file))
    }

    /// Opens the GGUF file at `path` and builds the tokenizer; GGUF problems are reported as `invalidKey`
    /// errors carrying the GGUF message.
    public convenience init(path: String) throws(TokenizerError) {
        let file: GGUFFile
        do {
            file = try GGUFFile(path: path)
        } catch {
            throw TokenizerError(.invalidKey, path: path, error.detail)
        }
        try self.init(file: file)
    }

    /// Number of ids; valid ids are `0..<vocabularySize`.
    public var vocabularySize: Int { vocabulary.count }
    /// Beginning-of-sequence id.
    public var bos: Int32? { vocabulary.bos }
    /// End-of-sequence id.
    public var eos: Int32? { vocabulary.eos }
    /// End-of-turn id, when the vocabulary has one.
    public var endOfTurn: Int32? { vocabulary.eot }
    /// Every id that ends generation.
    public var endOfGeneration: Set<Int32> { vocabulary.endOfGeneration }

    /// The stored text of `id` (byte-level alphabet or `▁` spaces as in the file), or nil when out of range.
    public func tokenText(_ id: Int32) -> String? {
        id >= 0 && Int(id) < vocabulary.count ? vocabulary.tokens[Int(id)] : nil
    }

    /// The type of `id`, or nil when out of range.
    public func tokenType(_ id: Int32) -> TokenType? {
        id >= 0 && Int(id) < vocabulary.count ? vocabulary.types[Int(id)] : nil
    }

    /// The id whose stored text is exactly `text`, if any (slow: a linear scan; for tests and tools).
    public func id(forText text: String) -> Int32? {
        vocabulary.tokens.firstIndex(of: text).map { Int32($0) }
    }

    /// Encodes `text` like llama.cpp's `llama_tokenize`: `addSpecial` adds BOS/EOS as the vocabulary asks;
    /// `parseSpecial` turns control-token texts into their ids (use it only for trusted template text).
    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        encode(segments: [Segment(text, parseSpecial: parseSpecial)], addSpecial: addSpecial)
    }

    /// Encodes the concatenation of `segments` as one text, except that special-token texts are only
    /// recognised inside segments with `parseSpecial`. For text without special-token strings the result equals
    /// encoding the concatenation with `parseSpecial: true`.
    public func encode(segments: [Segment], addSpecial: Bool) -> [Int32] {
        // Partition each segment, then join neighbouring raw stretches into one fragment.
        enum Piece {
            case text([UInt8])
            case token(Int32)
        }
        var pieces: [Piece] = []
        for segment in segments {
            var utf8 = Array(segment.text.utf8)
            guard !utf8.isEmpty else { continue }
            let fragments = utf8.withUnsafeBufferPointer {
                specialMatcher.partition($0, parseSpecial: segment.parseSpecial)
            }
            for fragment in fragments ?? [.text(0..<utf8.count)] {
                switch fragment {
                case .token(let id):
                    pieces.append(.token(id))
                case .text(let range):
                    if case .text(var previous) = pieces.last {
                        pieces.removeLast()
                        previous.append(contentsOf: utf8[range])
                        pieces.append(.text(previous))
                    } else if range.count == utf8.count {
                        pieces.append(.text(utf8))
                        utf8 = []
                    } else {
                        pieces.append(.text(Array(utf8[range])))
                    }
                }
            }
        }

        var output: [Int32] = []
        let totalBytes = segments.reduce(0) { $0 + $1.text.utf8.count }
        output.reserveCapacity(totalBytes / 3 + 4)
        let bosID = vocabulary.bos
        let eosID = vocabulary.eos
        if addSpecial && vocabulary.addBOS, let bosID { output.append(bosID) }
        if let sentencePiece {
            var scratch = SentencePieceModel.Scratch()
            var previousWasSpecial = true
            for piece in pieces {
                switch piece {
                case .token(let id):
                    output.append(id)
                    previousWasSpecial = true
                case .text(let bytes):
                    bytes.withUnsafeBufferPointer {
                        sentencePiece.encode(
                            $0, prefixSpace: vocabulary.addSpacePrefix && previousWasSpecial, scratch: &scratch,
                            into: &output)
                    }
                    previousWasSpecial = false
                }
            }
        } else if let bytePair {
            var scratch = BytePairModel.Scratch()
            for piece in pieces {
                switch piece {
                case .token(let id):
                    output.append(id)
                case .text(let bytes):
                    bytes.withUnsafeBufferPointer { bytePair.encode($0, scratch: &scratch, into: &output) }
                }
            }
        }
        if addSpecial && vocabulary.addEOS, let eosID { output.append(eosID) }
        return output
    }
}
