import GGUF
import Testing

@Suite("Reading llama.cpp vocab files", .enabled(if: TestSupport.fixturesPresent))
struct GGUFFixtureTests {
    @Test(
        "Reads the vocab fixtures",
        arguments: [
            ("qwen2", 151_936, "gpt2"), ("llama-spm", 32000, "llama"), ("llama-bpe", 128_256, "gpt2"),
            ("gpt-2", 50257, "gpt2"),
        ])
    func readsFixture(name: String, tokens: Int, model: String) throws {
        let file = try GGUFFile(path: TestSupport.fixture(name))
        #expect(file.version == 3)
        #expect(file.tensors.isEmpty)
        #expect(file.metadata.string("general.name") == name)
        #expect(file.metadata.string("tokenizer.ggml.model") == model)
        #expect(file.metadata.strings("tokenizer.ggml.tokens")?.count == tokens)
        #expect(file.metadata.ints("tokenizer.ggml.token_type")?.count == tokens)
    }

    @Test("Writing a vocab's metadata again gives back the same metadata")
    func rewritesVocab() throws {
        let dir = try TestSupport.temporaryDirectory()
        let path = dir.appendingPathComponent("copy.gguf").path
        let original = try GGUFFile(path: TestSupport.fixture("llama-spm"))
        try GGUFWriter(metadata: original.metadata).write(to: path)
        let copy = try GGUFFile(path: path)
        #expect(copy.metadata == original.metadata)
    }
}
