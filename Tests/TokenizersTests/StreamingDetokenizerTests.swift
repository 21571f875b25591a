import Testing

@testable import Tokenizers

@Suite("Streaming detokenizer")
struct StreamingDetokenizerTests {
    @Test("An emoji split over byte tokens is emitted only once complete")
    func emojiHeldUntilComplete() throws {
        let spm = try Fixtures.tokenizer("llama-spm")
        // 🦙 has no token in the Llama 2 vocabulary: it is four <0xNN> byte tokens.
        let ids = spm.encode("🦙", addSpecial: false, parseSpecial: false)
        #expect(ids == [29871, 243, 162, 169, 156])
        var stream = StreamingDetokenizer(tokenizer: spm)
        var emitted: [String] = []
        for id in ids { emitted.append(try stream.feed(id)) }
        #expect(emitted == ["", "", "", "", "🦙"])
        #expect(stream.finish() == "")
    }

    @Test("An incomplete sequence left at the end becomes U+FFFD")
    func finishFlushesInvalid() throws {
        let spm = try Fixtures.tokenizer("llama-spm")
        var stream = StreamingDetokenizer(tokenizer: spm)
        #expect(try stream.feed(243) == "")
        #expect(try stream.feed(162) == "")
        #expect(stream.finish() == "\u{FFFD}")
    }

    @Test("Concatenated pieces equal decode(ids) for every fixture case", arguments: Fixtures.allCases)
    func matchesDecode(testCase: Fixtures.Case) throws {
        let tokenizer = try Fixtures.tokenizer(testCase.vocab)
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        var out = ""
        for id in testCase.ids { out += try stream.feed(id) }
        out += stream.finish()
        #expect(out == (try tokenizer.decode(testCase.ids, cleanSpaces: false)), "\(testCase.testDescription)")
    }

    @Test("An out-of-range id is an error")
    func outOfRange() throws {
        var stream = StreamingDetokenizer(tokenizer: try Fixtures.tokenizer("qwen2"))
        #expect(throws: TokenizerError.self) { try stream.feed(999_999) }
    }
}
