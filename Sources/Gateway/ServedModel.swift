import BatchgateConfig
import Foundation
import GGUF
import Scheduler
import Tokenizers

/// What the gateway itself needs of a model file to validate and render requests before they reach a worker: the
/// tokenizer, the chat template and the context length.
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

    /// Reads the tokenizer, chat template and context length of `model`'s file.
    public init(_ model: BatchgateConfiguration.Model) throws {
        let file = try GGUFFile(path: model.path)
        let tokenizer = try Tokenizer(file: file)
        // A template Batchgate does not recognise falls back to ChatML (as llama.cpp's server does), with a warning.
        let choice = try ChatTemplate.choose(configured: model.chatTemplate.rawValue, vocabulary: tokenizer.vocabulary)
        let architecture = file.metadata.string("general.architecture") ?? "llama"
        let trained = file.metadata.int("\(architecture).context_length") ?? 4096
        self.init(
            tokenizer: tokenizer, chatTemplate: choice.template,
            contextLength: model.contextLength.map { min($0, trained) } ?? trained, chatTemplateWarning: choice.warning,
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

/// One model as the gateway serves it: its scheduler, and what the gateway reads of its file.
public final class ServedModel: Sendable {
    /// The name clients send as `model`.
    public let name: String
    /// The scheduler that batches its requests onto its workers.
    public let scheduler: ModelScheduler
    /// The tokenizer, chat template and context length.
    public let description: ModelDescription
    /// When the gateway started serving it (Unix seconds), for `/v1/models`.
    public let created: Int

    /// The model's tokenizer.
    public var tokenizer: Tokenizer { description.tokenizer }
    /// The model's chat template, when Batchgate knows it.
    public var chatTemplate: ChatTemplate? { description.chatTemplate }
    /// The model's context length.
    public var contextLength: Int { description.contextLength }

    /// A served model from its parts.
    public init(
        name: String, scheduler: ModelScheduler, description: ModelDescription,
        created: Int = Int(Date().timeIntervalSince1970)
    ) {
        self.name = name
        self.scheduler = scheduler
        self.description = description
        self.created = created
    }

    /// Reads the tokenizer, chat template and context length of `model`'s file.
    public convenience init(_ model: BatchgateConfiguration.Model, scheduler: ModelScheduler) throws {
        self.init(name: model.name, scheduler: scheduler, description: try ModelDescription(model))
    }
}
