import Testing

@testable import Tokenizers

@Suite("SmolLM2 vocabulary against llama.cpp")
struct SmolLMTokenizerTests {
    @Test("The real SmolLM2 file loads with the smollm pre-tokenizer and llama.cpp's flags")
    func loads() throws {
        let tokenizer = try SmolLM.tokenizer()
        let golden = try SmolLM.requireGolden()
        #expect(tokenizer.vocabulary.preTokenizerName == "smollm")
        #expect(tokenizer.vocabulary.preTokenizer == .starcoder)
        #expect(tokenizer.vocabularySize == 49152)
        #expect(tokenizer.vocabulary.addBOS == golden.adds_bos)
        #expect(tokenizer.vocabulary.cleanSpaces == false)
        #expect(golden.cases.count > 200)
    }

    @Test("Encodes every golden text to llama.cpp's ids (no BOS, no special parsing)")
    func encodes() throws {
        let tokenizer = try SmolLM.tokenizer()
        let golden = try SmolLM.requireGolden()
        var failures = 0
        for (index, testCase) in golden.cases.enumerated() {
            let ids = tokenizer.encode(testCase.text, addSpecial: false, parseSpecial: false)
            if ids != testCase.ids {
                failures += 1
                if failures <= 5 {
                    Issue.record(
                        "case \(index) \(String(reflecting: testCase.text)): got \(ids), llama.cpp \(testCase.ids)")
                }
            }
        }
        #expect(failures == 0, "\(failures) of \(golden.cases.count) texts differ from llama.cpp")
    }

    @Test("Decodes llama.cpp's ids to llama.cpp's text")
    func decodes() throws {
        let tokenizer = try SmolLM.tokenizer()
        let golden = try SmolLM.requireGolden()
        var failures = 0
        for (index, testCase) in golden.cases.enumerated() {
            let text = try tokenizer.decode(testCase.ids)
            if text != (testCase.decoded ?? testCase.text) {
                failures += 1
                if failures <= 5 { Issue.record("case \(index): \(String(reflecting: text))") }
            }
        }
        #expect(failures == 0)
    }

    @Test("Chat markers are special tokens of this vocabulary")
    func chatMarkers() throws {
        let tokenizer = try SmolLM.tokenizer()
        let ids = tokenizer.encode("<|im_start|>user\nHi<|im_end|>\n", addSpecial: true, parseSpecial: true)
        #expect(ids.first == tokenizer.id(forText: "<|im_start|>"))
        #expect(ids.contains(try #require(tokenizer.id(forText: "<|im_end|>"))))
    }

    @Test(
        "Other pre-tokenizer names split and decode as llama.cpp does (Llama 3 vocabulary, name replaced)",
        arguments: SmolLM.variantNames)
    func variant(name: String) throws {
        let golden = try SmolLM.requireGolden()
        let variant = try #require(golden.variants[name])
        let tokenizer = try SmolLM.variantTokenizer(pre: name)
        #expect(tokenizer.vocabulary.addBOS == variant.adds_bos, "\(name): add_bos")
        let texts = variant.short ? golden.alias_texts : golden.variant_texts
        try #require(variant.ids.count == texts.count)
        var failures = 0
        for (index, text) in texts.enumerated() {
            let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
            let expectedText = variant.decoded[String(index)] ?? text
            let decoded = try tokenizer.decode(variant.ids[index])
            if ids != variant.ids[index] || decoded != expectedText {
                failures += 1
                if failures <= 3 {
                    let message: String =
                        "\(name) text \(index) \(String(reflecting: text)): got \(ids) / "
                        + "\(String(reflecting: decoded)), llama.cpp \(variant.ids[index]) / "
                        + String(reflecting: expectedText)
                    Issue.record(Comment(rawValue: message))
                }
            }
        }
        #expect(failures == 0, "\(name): \(failures) of \(texts.count) texts differ from llama.cpp")
    }

    @Test("Every name listed as supported resolves; unknown or unimplemented names stay refused")
    func supportedNames() {
        for name in PreTokenizer.supportedNames { #expect(PreTokenizer.resolve(name) != nil, "\(name)") }
        // llama.cpp 0.3.36 refuses the first three too; chameleon it knows, Batchgate does not implement.
        for name in ["qwen3", "mistral", "bogus-name", "chameleon"] { #expect(PreTokenizer.resolve(name) == nil) }
    }

    @Test("The golden file has llama.cpp's ids for every supported pre-tokenizer name")
    func coverage() throws {
        let golden = try SmolLM.requireGolden()
        for name in PreTokenizer.supportedNames {
            #expect(golden.variants[name] != nil, "\(name) has no llama.cpp golden ids")
        }
    }
}
