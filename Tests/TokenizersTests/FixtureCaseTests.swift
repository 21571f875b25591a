import Testing

@testable import Tokenizers

@Suite("llama.cpp test-tokenizer-0 cases")
struct FixtureCaseTests {
    @Test("Every fixture file is present and has cases", arguments: Fixtures.names)
    func fixturesPresent(name: String) throws {
        _ = try Fixtures.requirePath(name)
        #expect(Fixtures.cases(name).count > 40, "\(name): .inp/.out unreadable or case counts differ")
    }

    @Test("Encodes to llama.cpp's ids (no BOS, no special parsing)", arguments: Fixtures.allCases)
    func encodes(testCase: Fixtures.Case) throws {
        let tokenizer = try Fixtures.tokenizer(testCase.vocab)
        let ids = tokenizer.encode(testCase.text, addSpecial: false, parseSpecial: false)
        #expect(ids == testCase.ids, "\(testCase.vocab) case \(testCase.index): \(String(reflecting: testCase.text))")
    }

    @Test("Decodes llama.cpp's ids back to the input", arguments: Fixtures.allCases)
    func decodes(testCase: Fixtures.Case) throws {
        let tokenizer = try Fixtures.tokenizer(testCase.vocab)
        let text = try tokenizer.decode(testCase.ids, cleanSpaces: false)
        #expect(text == testCase.text, "\(testCase.vocab) case \(testCase.index)")
    }
}
