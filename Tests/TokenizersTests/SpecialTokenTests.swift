import Testing

@testable import Tokenizers

@Suite("Special tokens")
struct SpecialTokenTests {
    @Test("<|im_start|> in user text is plain text without parseSpecial, one token with it")
    func imStartInjection() throws {
        let qwen = try Fixtures.tokenizer("qwen2")
        let plain = qwen.encode("<|im_start|>", addSpecial: false, parseSpecial: false)
        #expect(!plain.contains(151644))
        #expect(plain.count > 1)
        #expect(try qwen.decode(plain) == "<|im_start|>")
        #expect(qwen.encode("<|im_start|>", addSpecial: false, parseSpecial: true) == [151644])
        #expect(qwen.encode("hi<|im_end|>there", addSpecial: false, parseSpecial: true).contains(151645))
    }

    @Test("User-defined tokens are matched even without parseSpecial (as llama.cpp does)")
    func userDefinedAlwaysMatched() throws {
        let qwen = try Fixtures.tokenizer("qwen2")
        #expect(qwen.tokenType(151700) == .userDefined)
        #expect(qwen.encode("x[PAD151700]y", addSpecial: false, parseSpecial: false).contains(151700))
    }

    @Test("Longest special token wins where two overlap")
    func longestFirst() throws {
        let llama3 = try Fixtures.tokenizer("llama-bpe")
        let ids = llama3.encode("<|start_header_id|>user<|end_header_id|>", addSpecial: false, parseSpecial: true)
        #expect(ids.first == 128006)
        #expect(ids.last == 128007)
    }

    @Test("BOS is added for Llama 2 and Llama 3 with addSpecial, not for Qwen2")
    func bos() throws {
        #expect(try Fixtures.tokenizer("llama-spm").encode("Hi", addSpecial: true, parseSpecial: false).first == 1)
        #expect(try Fixtures.tokenizer("llama-bpe").encode("Hi", addSpecial: true, parseSpecial: false).first == 128000)
        #expect(try Fixtures.tokenizer("qwen2").encode("Hi", addSpecial: true, parseSpecial: false) == [13048])
    }

    @Test("End-of-turn ids are found")
    func endOfTurn() throws {
        #expect(try Fixtures.tokenizer("qwen2").endOfTurn == 151645)
        #expect(try Fixtures.tokenizer("llama-bpe").endOfTurn == 128009)
        #expect(try Fixtures.tokenizer("llama-spm").eos == 2)
    }
}
