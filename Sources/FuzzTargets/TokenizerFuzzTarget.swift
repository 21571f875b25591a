import Foundation
import Tokenizers

extension FuzzTarget {
    /// The tokenizers, on the real vocabularies of `.cache/fixtures` (SentencePiece, GPT-2, Llama 3 and Qwen2
    /// byte-level BPE). The first input byte picks the vocabulary (its low two bits) and the mode (the next two):
    /// 0 encodes the rest as text (invalid UTF-8 replaced) and decodes it back to the same text; 1 encodes with
    /// special tokens and BOS; 2 and 3 read the rest as token ids, three bytes each (some past the vocabulary), which
    /// decode, or throw for an id out of range, and stream to the same text as one decode.
    public static let tokenizer = FuzzTarget(
        name: "tokenizer", summary: "Tokenizer.encode, decode and StreamingDetokenizer on the fixture vocabularies"
    ) { bytes throws(FuzzFailure) in
        guard let first = bytes.first else { return }
        let tokenizers = try fixtureTokenizers.get()
        let tokenizer = tokenizers[Int(first & 3) % tokenizers.count]
        let rest = bytes.dropFirst()
        switch (first >> 2) & 3 {
        case 0: try roundTrip(String(decoding: rest, as: UTF8.self), tokenizer)
        case 1: try encodeSpecial(String(decoding: rest, as: UTF8.self), tokenizer)
        default: try decodeIDs(rest, tokenizer, renderSpecial: first & 0x10 != 0)
        }
    }

    /// The fixture vocabularies, loaded once per process.
    static let fixtureTokenizers: Result<[Tokenizer], FuzzFailure> = {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".cache/fixtures")
        let names = ["llama-spm", "gpt-2", "llama-bpe", "qwen2"]
        var loaded: [Tokenizer] = []
        for name in names {
            let path = folder.appendingPathComponent("ggml-vocab-\(name).gguf").path
            do {
                loaded.append(try Tokenizer(path: path))
            } catch {
                return .failure(FuzzFailure("cannot load \(path) (make fixtures fetches it): \(error)"))
            }
        }
        return .success(loaded)
    }()

    private static func checkRange(_ ids: [Int32], _ tokenizer: Tokenizer) throws(FuzzFailure) {
        for id in ids where id < 0 || Int(id) >= tokenizer.vocabularySize {
            throw FuzzFailure("encoding gave id \(id) outside a vocabulary of \(tokenizer.vocabularySize)")
        }
    }

    private static func roundTrip(_ text: String, _ tokenizer: Tokenizer) throws(FuzzFailure) {
        let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
        try checkRange(ids, tokenizer)
        let decoded: [UInt8]
        do {
            decoded = try tokenizer.decodeBytes(ids, renderSpecial: true, cleanSpaces: false)
        } catch {
            throw FuzzFailure("decoding the ids encoding gave throws: \(error)")
        }
        // SentencePiece writes a space as U+2581, so that character decodes to a space.
        let expected = tokenizer.vocabulary.addSpacePrefix ? text.replacingOccurrences(of: "\u{2581}", with: " ") : text
        guard decoded.elementsEqual(expected.utf8) else {
            throw FuzzFailure(
                "\(tokenizer.vocabulary.path ?? "a vocabulary"): \(Array(expected.utf8)) encodes to \(ids), which decodes to \(decoded)"
            )
        }
    }

    private static func encodeSpecial(_ text: String, _ tokenizer: Tokenizer) throws(FuzzFailure) {
        let ids = tokenizer.encode(text, addSpecial: true, parseSpecial: true)
        try checkRange(ids, tokenizer)
        do {
            _ = try tokenizer.decode(ids, removeSpecial: true, renderSpecial: true)
        } catch {
            throw FuzzFailure("decoding the ids encoding gave throws: \(error)")
        }
    }

    private static func decodeIDs(
        _ bytes: Slice<UnsafeRawBufferPointer>, _ tokenizer: Tokenizer, renderSpecial: Bool
    ) throws(FuzzFailure) {
        let bound = tokenizer.vocabularySize + 4
        var ids: [Int32] = []
        var index = bytes.startIndex
        while index + 3 <= bytes.endIndex {
            let raw = Int(bytes[index]) | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2]) << 16
            ids.append(Int32(raw % bound))
            index += 3
        }
        let inRange = ids.allSatisfy { Int($0) < tokenizer.vocabularySize }
        let whole: String
        do {
            whole = try tokenizer.decode(ids, renderSpecial: renderSpecial, cleanSpaces: false)
        } catch {
            guard !inRange else { throw FuzzFailure("decoding ids in range throws: \(error)") }
            return
        }
        guard inRange else { throw FuzzFailure("decoding \(ids) did not throw for an id out of range") }
        var streaming = StreamingDetokenizer(tokenizer: tokenizer, renderSpecial: renderSpecial)
        var streamed = ""
        for id in ids {
            do {
                streamed += try streaming.feed(id)
            } catch {
                throw FuzzFailure("streaming id \(id) throws: \(error)")
            }
        }
        streamed += streaming.finish()
        guard streamed.utf8.elementsEqual(whole.utf8) else {
            throw FuzzFailure("\(ids) streams to \(Array(streamed.utf8)), decodes to \(Array(whole.utf8))")
        }
    }
}
