import Foundation

/// One finished request, as usage accounting keeps it.
public struct UsageRecord: Sendable, Equatable {
    /// The request id (`x-request-id`).
    public var requestID: String
    /// The API key's name (never the key).
    public var key: String
    /// The model asked for.
    public var model: String
    /// Prompt tokens.
    public var promptTokens: Int
    /// Prompt tokens taken from the prefix cache.
    public var cachedTokens: Int
    /// Generated tokens.
    public var completionTokens: Int
    /// The HTTP status the request ended with.
    public var status: Int
    /// From arrival to the last byte.
    public var duration: Duration
    /// The node that answered.
    public var node: String
    /// When it ended.
    public var finishedAt: Date

    /// Creates a record.
    public init(
        requestID: String, key: String, model: String, promptTokens: Int, cachedTokens: Int, completionTokens: Int,
        status: Int, duration: Duration, node: String, finishedAt: Date
    ) {
        self.requestID = requestID
        self.key = key
        self.model = model
        self.promptTokens = promptTokens
        self.cachedTokens = cachedTokens
        self.completionTokens = completionTokens
        self.status = status
        self.duration = duration
        self.node = node
        self.finishedAt = finishedAt
    }
}
