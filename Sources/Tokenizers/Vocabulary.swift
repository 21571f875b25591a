import GGUF

/// Everything a GGUF file says about its tokenizer: the entries, their scores and types, the special ids and flags.
///
/// Built from `tokenizer.*` metadata the way llama.cpp's vocabulary loader reads it, including its defaults
/// (SentencePiece: BOS 1, EOS 2, UNK 0, BOS added; byte-level BPE: flags from the pre-tokenizer name).
public struct Vocabulary: Sendable {
    /// The tokenizer algorithm, from `tokenizer.ggml.model`.
    public enum Model: String, Sendable {
        /// SentencePiece-style BPE over scores (`llama`).
        case sentencePiece = "llama"
        /// Byte-level BPE over ranked merges (`gpt2`).
        case bytePairEncoding = "gpt2"
    }

    /// The file the vocabulary came from, when known.
    public let path: String?
    /// The tokenizer algorithm.
    public let model: Model
    /// The `tokenizer.ggml.pre` value as stored (nil when absent).
    public let preTokenizerName: String?
    /// The splitter for byte-level BPE (unused for SentencePiece).
    public let preTokenizer: PreTokenizer
    /// The entries' texts, by id, as stored (byte-level alphabet for BPE, `▁` for spaces in SentencePiece).
    public let tokens: [String]
    /// The entries' scores (SentencePiece merge priority); zero when absent.
    public let scores: [Float]
    /// The entries' types (with llama.cpp's fix-up: end-of-turn texts are always control tokens).
    public let types: [TokenType]
    /// BPE merges, "left right" per line, in rank order (empty for SentencePiece).
    public let merges: [String]
    /// Beginning-of-sequence id.
    public let bos: Int32?
    /// End-of-sequence id.
    public let eos: Int32?
    /// End-of-turn id (`tokenizer.ggml.eot_token_id`, or the first of `<|eot_id|>`, `<|im_end|>`, … present).
    public let eot: Int32?
    /// End-of-message id (`tokenizer.ggml.eom_token_id` or `<|eom_id|>`).
    public let eom: Int32?
    /// Unknown-token id.
    public let unknown: Int32?
    /// Padding id.
    public let padding: Int32?
    /// Every id that ends generation: EOS, EOT, EOM and the other end markers llama.cpp recognises by text.
    public let endOfGeneration: Set<Int32>
    /// Whether encoding with `addSpecial` puts BOS first.
    public let addBOS: Bool
    /// Whether encoding with `addSpecial` puts EOS last.
    public let addEOS: Bool
    /// SentencePiece: a space is put before text that starts a fragment.
    public let addSpacePrefix: Bool
    /// Byte-level BPE: whole-word tokens skip merging.
    public let ignoreMerges: Bool
    /// Decoding removes spaces before punctuation as llama.cpp's `clean_spaces` does.
    public let cleanSpaces: Bool
    /// `tokenizer.chat_template`, when present.
    public let chatTemplate: String?
    /// `general.architecture`, when present.
    public let architecture: String?

    /// The metadata arrays a vocabulary is read from (one entry per token, or per merge): once a `Tokenizer` is
    /// built, it holds what it needs of them, and a caller may drop the file's parsed copies.
    public static let arrayKeys = [
        "tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.token_type", "tokenizer.ggml.scores",
    ]

    /// Texts llama.cpp takes as end-of-turn markers when no `eot_token_id` is given, in preference order.
    static let endOfTurnTexts = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>",
        "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
    ]
    /// Texts llama.cpp treats as ending generation; like llama.cpp, such entries always become control tokens
    /// (so `</s>` in a byte-level vocabulary is matched as a special token when parsing special tokens).
    static let endOfGenerationTexts: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
        "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
    ]

    /// Reads the vocabulary of an opened GGUF file.
    public init(file: GGUFFile) throws(TokenizerError) {
        try self.init(metadata: file.metadata, path: file.path)
    }

    /// Reads the vocabulary from metadata; `path` only labels errors.
    public init(metadata: GGUFMetadata, path: String? = nil) throws(TokenizerError) {
        func fail(_ code: TokenizerError.Code, _ detail: String) -> TokenizerError {
            TokenizerError(code, path: path, detail)
        }
        self.path = path
        architecture = metadata.string("general.architecture")
        chatTemplate = metadata.string("tokenizer.chat_template")

        guard let modelValue = metadata["tokenizer.ggml.model"] else {
            throw fail(.missingKey, "no tokenizer: metadata key 'tokenizer.ggml.model' is missing")
        }
        guard let modelName = modelValue.stringValue else {
            throw fail(.invalidKey, "'tokenizer.ggml.model' must be a string, found \(modelValue.type)")
        }
        guard let model = Model(rawValue: modelName) else {
            throw fail(
                .unsupportedModel,
                "tokenizer model '\(modelName)' (tokenizer.ggml.model) is not supported; supported: llama, gpt2")
        }
        self.model = model

        guard let tokenValue = metadata["tokenizer.ggml.tokens"] else {
            throw fail(.missingKey, "no vocabulary: metadata key 'tokenizer.ggml.tokens' is missing")
        }
        guard let tokens = metadata.strings("tokenizer.ggml.tokens"), !tokens.isEmpty else {
            throw fail(
                .invalidKey, "'tokenizer.ggml.tokens' must be a non-empty array of strings, found \(tokenValue.type)")
        }
        guard tokens.count < Int(Int32.max) else {
            throw fail(.invalidKey, "'tokenizer.ggml.tokens' has \(tokens.count) entries, too many")
        }
        self.tokens = tokens
        let count = tokens.count

        if metadata["tokenizer.ggml.scores"] != nil {
            guard let scores = metadata.floats("tokenizer.ggml.scores"), scores.count >= count else {
                throw fail(.invalidKey, "'tokenizer.ggml.scores' must be an array of at least \(count) numbers")
            }
            self.scores = Array(scores.prefix(count))
        } else {
            scores = [Float](repeating: 0, count: count)
        }

        var types = [TokenType](repeating: .normal, count: count)
        if metadata["tokenizer.ggml.token_type"] != nil {
            guard let raw = metadata.ints("tokenizer.ggml.token_type"), raw.count >= count else {
                throw fail(.invalidKey, "'tokenizer.ggml.token_type' must be an array of at least \(count) integers")
            }
            for i in 0..<count {
                types[i] = Int32(exactly: raw[i]).flatMap(TokenType.init(rawValue:)) ?? .undefined
            }
        }

        var addBOS: Bool
        var addEOS = false
        var addSpacePrefix = false
        var bos: Int32?
        var eos: Int32?
        var unknown: Int32?
        let preName = metadata.string("tokenizer.ggml.pre")
        preTokenizerName = preName
        switch model {
        case .sentencePiece:
            preTokenizer = .default
            addBOS = true
            addSpacePrefix = true
            ignoreMerges = false
            cleanSpaces = false
            bos = 1
            eos = 2
            unknown = 0
            merges = []
        case .bytePairEncoding:
            guard let resolution = PreTokenizer.resolve(preName) else {
                throw fail(
                    .unsupportedPreTokenizer,
                    "pre-tokenizer '\(preName ?? "")' (tokenizer.ggml.pre) is not supported; supported: "
                        + PreTokenizer.supportedNames.joined(separator: ", "))
            }
            preTokenizer = resolution.preTokenizer
            addBOS = resolution.addBOS
            ignoreMerges = resolution.ignoreMerges
            cleanSpaces = resolution.cleanSpaces
            bos = 11
            eos = 11
            guard metadata["tokenizer.ggml.merges"] != nil else {
                throw fail(.missingKey, "byte-level BPE needs merges: metadata key 'tokenizer.ggml.merges' is missing")
            }
            guard let merges = metadata.strings("tokenizer.ggml.merges") else {
                throw fail(.invalidKey, "'tokenizer.ggml.merges' must be an array of strings")
            }
            self.merges = merges
        }
        if let value = metadata["tokenizer.ggml.add_space_prefix"] {
            guard let flag = value.boolValue else {
                throw fail(.invalidKey, "'tokenizer.ggml.add_space_prefix' must be a bool, found \(value.type)")
            }
            addSpacePrefix = flag
        }

        func specialID(_ key: String, default fallback: Int32?) throws(TokenizerError) -> Int32? {
            var id = fallback.flatMap { $0 >= 0 && Int($0) < count ? $0 : nil }
            guard let value = metadata[key] else { return id }
            guard let raw = value.intValue else {
                throw fail(.invalidKey, "'\(key)' must be an integer, found \(value.type)")
            }
            // llama.cpp keeps the default when the stored id is out of range; so do we.
            if raw >= 0 && raw < count { id = Int32(raw) }
            return id
        }
        bos = try specialID("tokenizer.ggml.bos_token_id", default: bos)
        eos = try specialID("tokenizer.ggml.eos_token_id", default: eos)
        unknown = try specialID("tokenizer.ggml.unknown_token_id", default: unknown)
        padding = try specialID("tokenizer.ggml.padding_token_id", default: nil)
        var eot = try specialID("tokenizer.ggml.eot_token_id", default: nil)
        var eom = try specialID("tokenizer.ggml.eom_token_id", default: nil)

        for (key, flag) in [("tokenizer.ggml.add_bos_token", true), ("tokenizer.ggml.add_eos_token", false)] {
            guard let value = metadata[key] else { continue }
            guard let b = value.boolValue else {
                throw fail(.invalidKey, "'\(key)' must be a bool, found \(value.type)")
            }
            if flag { addBOS = b } else { addEOS = b }
        }
        if addBOS && bos == nil {
            throw fail(
                .invalidKey, "'tokenizer.ggml.add_bos_token' is true, but 'tokenizer.ggml.bos_token_id' is not set")
        }
        if addEOS && eos == nil {
            throw fail(
                .invalidKey, "'tokenizer.ggml.add_eos_token' is true, but 'tokenizer.ggml.eos_token_id' is not set")
        }

        // Texts llama.cpp recognises as end markers: find EOT/EOM and force them to be control tokens.
        var idsByText: [String: Int32] = [:]
        for (i, text) in tokens.enumerated() where Self.endOfGenerationTexts.contains(text) {
            if idsByText[text] == nil { idsByText[text] = Int32(i) }
        }
        if eot == nil { eot = Self.endOfTurnTexts.lazy.compactMap { idsByText[$0] }.first }
        if eom == nil { eom = idsByText["<|eom_id|>"] }
        var endOfGeneration = Set(idsByText.values)
        for id in [eos, eot, eom].compactMap({ $0 }) { endOfGeneration.insert(id) }
        for id in idsByText.values + [eot, eom].compactMap({ $0 }) where types[Int(id)] != .control {
            types[Int(id)] = .control
        }

        self.types = types
        self.bos = bos
        self.eos = eos
        self.eot = eot
        self.eom = eom
        self.unknown = unknown
        self.endOfGeneration = endOfGeneration
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
    }

    /// Number of entries.
    public var count: Int { tokens.count }
}
