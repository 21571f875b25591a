import LoadGenerator
import Tokenizers

/// The tests' counter over a GGUF vocabulary (the executable has its own; the load generator has none).
struct LocalTokenCounter: TokenCounter {
    let tokenizer: Tokenizer

    init(path: String) throws { tokenizer = try Tokenizer(path: path) }

    func count(_ text: String) async throws -> Int {
        tokenizer.encode(text, addSpecial: false, parseSpecial: false).count
    }
}
