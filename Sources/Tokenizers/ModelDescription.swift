import GGUF

/// What a server needs of a model file before any worker runs it: the tokenizer, the chat template (and the
/// warning when the file's is unknown), the context length, and the two sizes memory planning needs (KV bytes
/// per token, the file's size). Read once from the file.
public struct ModelDescription: Sendable {
    /// The model's tokenizer, read from its GGUF file.
    public let tokenizer: Tokenizer
    /// How chat messages become a prompt; nil when the file's template is not one Batchgate knows (chat is then
    /// refused with a 400 that says so).
    public let chatTemplate: ChatTemplate?
    /// Prompt plus generated tokens of one request can be at most this many.
    public let contextLength: Int
    /// Set when the file's chat template is not one Batchgate knows and chats fall back to ChatML: the line to log
    /// at startup.
    public let chatTemplateWarning: String?
    /// Bytes one token takes in a worker's KV cache (an F16 key and value row for every layer).
    public let kvBytesPerToken: Int
    /// Size of the model file.
    public let fileBytes: Int

    /// A description from its parts.
    public init(
        tokenizer: Tokenizer, chatTemplate: ChatTemplate?, contextLength: Int, chatTemplateWarning: String? = nil,
        kvBytesPerToken: Int = 0, fileBytes: Int = 0
    ) {
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.contextLength = contextLength
        self.chatTemplateWarning = chatTemplateWarning
        self.kvBytesPerToken = kvBytesPerToken
        self.fileBytes = fileBytes
    }

    /// Reads the model file at `path`: `chatTemplate` is the configured choice (`ChatTemplate.choose`), and a
    /// configured `contextLength` caps the trained one.
    public init(path: String, chatTemplate configured: String, contextLength limit: Int?) throws {
        let file = try GGUFFile(path: path)
        let tokenizer = try Tokenizer(file: file)
        // A template Batchgate does not recognise falls back to ChatML (as llama.cpp's server does), with a warning.
        let choice = try ChatTemplate.choose(configured: configured, vocabulary: tokenizer.vocabulary)
        let architecture = file.metadata.string("general.architecture") ?? "llama"
        let trained = file.metadata.int("\(architecture).context_length") ?? 4096
        self.init(
            tokenizer: tokenizer, chatTemplate: choice.template,
            contextLength: limit.map { min($0, trained) } ?? trained,
            chatTemplateWarning: choice.warning,
            kvBytesPerToken: Self.kvBytesPerToken(file.metadata, architecture: architecture),
            fileBytes: file.mapping.bytes.count)
    }

    /// Bytes of F16 keys and values one token takes over all layers, from the model's metadata (zero when the sizes
    /// are missing; the worker then refuses the file anyway).
    static func kvBytesPerToken(_ metadata: GGUFMetadata, architecture: String) -> Int {
        func value(_ key: String) -> Int? { metadata.int("\(architecture).\(key)") }
        guard let layers = value("block_count"), let heads = value("attention.head_count"), heads > 0,
            let width = value("embedding_length")
        else { return 0 }
        let kvHeads = value("attention.head_count_kv") ?? heads
        let keyWidth = value("attention.key_length") ?? width / heads
        let valueWidth = value("attention.value_length") ?? width / heads
        return layers * kvHeads * (keyWidth + valueWidth) * 2
    }
}
