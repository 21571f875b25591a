import Basics
import Testing

@testable import Tokenizers

/// The deterministic generator (Basics' SplitMix64), so failures reproduce.
typealias SeededGenerator = SplitMix64

enum RandomText {
    static let pieces: [String] = [
        " ", "  ", "\n", "\r\n", "\t", "\u{0}", "\u{1B}", "\u{7F}", "\u{85}", "\u{A0}", "\u{3000}", "'s", "'LL", "'",
        "a", "Z", "hello", " world", "3", "1234567", "½", "٣", ".", "!?", "```", "<|im_start|>", "<s>", "[PAD151700]",
        "我", "想在", "天～", "한국어", "日本語", "ไทย", "Ελληνικά", "кириллица", "e\u{301}", "\u{300}", "\u{200D}",
        "😀", "👩‍👩‍👧", "🇫🇷", "🏳️‍🌈", "✅", "\u{FFFD}", "Ã©", "\u{10FFFF}", "\u{E000}", "\u{1D11E}", "\u{20000}",
        "\u{FEFF}", "▁", "Ġ", "ÿ",
    ]

    /// A random string; `sentencePiece` leaves out U+2581 (`▁`), which SentencePiece vocabularies use for the
    /// space and so cannot round-trip (llama.cpp decodes it as a space too).
    static func make(_ rng: inout SeededGenerator, sentencePiece: Bool = false) -> String {
        var s = ""
        for _ in 0..<Int.random(in: 0...12, using: &rng) {
            if Bool.random(using: &rng) {
                let piece = pieces.randomElement(using: &rng)!
                s += sentencePiece && piece == "▁" ? " " : piece
            } else {
                // Any scalar: ASCII, BMP or above.
                let ranges: [ClosedRange<UInt32>] = [0...0x7F, 0x80...0xD7FF, 0xE000...0xFFFF, 0x10000...0x10FFFF]
                let range = ranges.randomElement(using: &rng)!
                if let scalar = Unicode.Scalar(UInt32.random(in: range, using: &rng)), !(sentencePiece && scalar == "▁")
                {
                    s.unicodeScalars.append(scalar)
                }
            }
        }
        return s
    }
}

@Suite("Round trips on random text")
struct PropertyTests {
    @Test("decode(encode(s)) == s for random Unicode strings", arguments: ["qwen2", "llama-spm", "llama-bpe"])
    func roundTrip(vocab: String) throws {
        let tokenizer = try Fixtures.tokenizer(vocab)
        var rng = SeededGenerator(seed: 0x5EED_0000 &+ UInt64(vocab.utf8.count))
        var failures = 0
        for _ in 0..<3000 {
            let text = RandomText.make(&rng, sentencePiece: tokenizer.vocabulary.model == .sentencePiece)
            let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
            let back = try tokenizer.decode(ids, cleanSpaces: false)
            if back != text {
                failures += 1
                if failures <= 3 {
                    Issue.record("\(vocab): \(String(reflecting: text)) came back as \(String(reflecting: back))")
                }
            }
        }
        #expect(failures == 0)
    }

    @Test("Streaming pieces concatenate to decode(ids) for random strings", arguments: ["qwen2", "llama-spm"])
    func streamingRandom(vocab: String) throws {
        let tokenizer = try Fixtures.tokenizer(vocab)
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<1000 {
            let ids = tokenizer.encode(RandomText.make(&rng), addSpecial: false, parseSpecial: false)
            var stream = StreamingDetokenizer(tokenizer: tokenizer)
            var out = ""
            for id in ids { out += try stream.feed(id) }
            out += stream.finish()
            #expect(out == (try tokenizer.decode(ids, cleanSpaces: false)))
        }
    }
}
