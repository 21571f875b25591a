import BatchgateConfig
import Foundation
import GGUF
import Scheduler
import Tokenizers

/// One model as the gateway serves it: its scheduler, and what the gateway itself needs of the model file
/// (tokenizer, chat template, context length) to validate and render requests before they reach a worker.
public final class ServedModel: Sendable {
    /// The name clients send as `model`.
    public let name: String
    /// The scheduler that batches its requests onto its workers.
    public let scheduler: ModelScheduler
    /// The model's tokenizer, read from the same GGUF file.
    public let tokenizer: Tokenizer
    /// How chat messages become a prompt; nil when the file's template is not one Batchgate knows (chat is then
    /// refused with a 400 that says so).
    public let chatTemplate: ChatTemplate?
    /// Prompt plus generated tokens of one request can be at most this many.
    public let contextLength: Int
    /// When the gateway started serving it (Unix seconds), for `/v1/models`.
    public let created: Int

    /// A served model from its parts.
    public init(
        name: String, scheduler: ModelScheduler, tokenizer: Tokenizer, chatTemplate: ChatTemplate?,
        contextLength: Int, created: Int = Int(Date().timeIntervalSince1970)
    ) {
        self.name = name
        self.scheduler = scheduler
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.contextLength = contextLength
        self.created = created
    }

    /// Reads the tokenizer, chat template and context length of `model`'s file.
    public convenience init(_ model: BatchgateConfiguration.Model, scheduler: ModelScheduler) throws {
        let file = try GGUFFile(path: model.path)
        let tokenizer = try Tokenizer(file: file)
        let template = try? ChatTemplate.resolve(
            configured: model.chatTemplate.rawValue, vocabulary: tokenizer.vocabulary)
        let architecture = file.metadata.string("general.architecture") ?? "llama"
        let trained = file.metadata.int("\(architecture).context_length") ?? 4096
        self.init(
            name: model.name, scheduler: scheduler, tokenizer: tokenizer, chatTemplate: template,
            contextLength: model.contextLength.map { min($0, trained) } ?? trained)
    }
}
