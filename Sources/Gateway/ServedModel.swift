import BatchgateConfig
import Foundation
import Scheduler
import Tokenizers

extension ModelDescription {
    /// Reads the tokenizer, chat template, context length and sizes of `model`'s file, as configured.
    public init(_ model: BatchgateConfiguration.Model) throws {
        try self.init(path: model.path, chatTemplate: model.chatTemplate.rawValue, contextLength: model.contextLength)
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
