import LoadGenerator
import Tokenizers

/// Counts a bench prompt's tokens with a local GGUF tokenizer (`bench --tokenizer FILE`), so the load generator
/// itself needs no tokenizer.
struct LocalTokenCounter: TokenCounter {
    let tokenizer: Tokenizer

    /// Loads the tokenizer of the GGUF file at `path`.
    init(path: String) throws {
        tokenizer = try Tokenizer(path: path)
    }

    /// Counts without BOS/EOS; special-token texts count as plain text.
    func count(_ text: String) async throws -> Int {
        tokenizer.encode(text, addSpecial: false, parseSpecial: false).count
    }
}
