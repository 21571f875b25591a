/// How byte-level BPE text is split into words before merging, chosen by `tokenizer.ggml.pre`.
///
/// Each case reproduces one of llama.cpp's pre-tokenizer regexes with a hand-written splitter.
/// Names that llama.cpp maps to the same regex *and* the same flags share a case (see `resolve(_:)`).
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// Qwen2: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    case qwen2
    /// Llama 3: as Qwen2 but numbers in runs of up to three digits (`\p{N}{1,3}`).
    case llama3
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// StarCoder (and SmolLM, Refact, Command-R): `\p{N}` first, so every digit is a word of its own, then GPT-2's.
    case starcoder
    /// Qwen3.5: as Qwen2 with combining marks in words: `[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+` and
    /// ` ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*`.
    case qwen35
    /// Tekken (Mistral Nemo, Mistral Small 3 and later): words split at case changes, single digits, no
    /// contractions, `/` kept after punctuation (see `WordSplitter.caseAware`).
    case tekken
    /// GPT-4o's pattern (Llama 4): Tekken's with contractions after words and numbers in runs of up to three digits.
    case gpt4o
    /// llama.cpp's fallback for a missing or `default` name: punctuation runs are split off first, then
    /// GPT-2's pattern, then number runs, then ASCII digits in threes.
    case `default`

    /// What a `tokenizer.ggml.pre` name means, following llama.cpp's `llama_vocab::impl::load`.
    struct Resolution: Sendable, Equatable {
        /// The splitter.
        var preTokenizer: PreTokenizer
        /// A word that is itself a token is emitted whole, without merging (llama.cpp's `ignore_merges`).
        var ignoreMerges: Bool
        /// Decoding tidies " ," / " 's" and similar (llama.cpp's `clean_spaces`).
        var cleanSpaces: Bool
        /// Default for `add_bos` before `tokenizer.ggml.add_bos_token` overrides it.
        var addBOS: Bool
    }

    /// Supported names, documented here in one place:
    /// - `qwen2`, `deepseek-r1-qwen`: Qwen2 regex, no space clean-up.
    /// - `megrez`, `stablelm2`: Qwen2 regex, space clean-up on decode.
    /// - `llama3`, `llama-v3`, `llama-bpe`, `falcon3`, `pixtral`: Llama 3 regex, `ignore_merges`, BOS by default.
    /// - `dbrx`, `smaug-bpe`: Llama 3 regex without `ignore_merges`.
    /// - `gpt-2`, `phi-2`, `mpt`, `olmo`: GPT-2 regex.
    /// - `smollm`, `command-r`: digits one by one, then GPT-2 regex, no space clean-up.
    /// - `starcoder`, `refact`: the same splitter with space clean-up on decode.
    /// - `qwen35`: Qwen3.5 regex, no space clean-up.
    /// - `tekken`: Tekken regex, `ignore_merges`, BOS by default, no space clean-up.
    /// - `gpt-4o`, `llama4`: GPT-4o regex, no space clean-up.
    /// - `default` or no key: llama.cpp's default chain.
    /// Anything else is refused by name rather than tokenized differently from llama.cpp.
    static func resolve(_ name: String?) -> Resolution? {
        switch name ?? "default" {
        case "qwen2", "deepseek-r1-qwen":
            Resolution(preTokenizer: .qwen2, ignoreMerges: false, cleanSpaces: false, addBOS: false)
        case "megrez", "stablelm2":
            Resolution(preTokenizer: .qwen2, ignoreMerges: false, cleanSpaces: true, addBOS: false)
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral":
            Resolution(preTokenizer: .llama3, ignoreMerges: true, cleanSpaces: true, addBOS: true)
        case "dbrx", "smaug-bpe":
            Resolution(preTokenizer: .llama3, ignoreMerges: false, cleanSpaces: true, addBOS: false)
        case "gpt-2", "phi-2", "mpt", "olmo":
            Resolution(preTokenizer: .gpt2, ignoreMerges: false, cleanSpaces: true, addBOS: false)
        case "smollm", "command-r":
            Resolution(preTokenizer: .starcoder, ignoreMerges: false, cleanSpaces: false, addBOS: false)
        case "starcoder", "refact":
            Resolution(preTokenizer: .starcoder, ignoreMerges: false, cleanSpaces: true, addBOS: false)
        case "qwen35":
            Resolution(preTokenizer: .qwen35, ignoreMerges: false, cleanSpaces: false, addBOS: false)
        case "tekken":
            Resolution(preTokenizer: .tekken, ignoreMerges: true, cleanSpaces: false, addBOS: true)
        case "gpt-4o", "llama4":
            Resolution(preTokenizer: .gpt4o, ignoreMerges: false, cleanSpaces: false, addBOS: false)
        case "default":
            Resolution(preTokenizer: .default, ignoreMerges: false, cleanSpaces: true, addBOS: false)
        default:
            nil
        }
    }

    /// The names `resolve(_:)` accepts, for error messages.
    static let supportedNames = [
        "qwen2", "deepseek-r1-qwen", "megrez", "stablelm2", "llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral",
        "dbrx", "smaug-bpe", "gpt-2", "phi-2", "mpt", "olmo", "smollm", "command-r", "starcoder", "refact", "qwen35",
        "tekken", "gpt-4o", "llama4", "default",
    ]
}
