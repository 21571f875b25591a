/// `usage` of a response.
public struct Usage: Decodable, Sendable, Equatable {
    /// Tokens of the prompt.
    public var promptTokens: Int
    /// Tokens generated.
    public var completionTokens: Int
    /// Their sum.
    public var totalTokens: Int

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
    }

    /// Usage of `prompt` prompt tokens and `completion` generated ones.
    public init(prompt: Int, completion: Int) {
        promptTokens = prompt
        completionTokens = completion
        totalTokens = prompt + completion
    }
}

/// One token's log-probability in a chat response (`choices[].logprobs.content[]`).
public struct ChatTokenLogprob: Decodable, Sendable, Equatable {
    /// An alternative token.
    public struct Alternative: Decodable, Sendable, Equatable {
        public var token: String
        public var logprob: Float
        public var bytes: [UInt8]
    }
    public var token: String
    public var logprob: Float
    public var bytes: [UInt8]
    public var topLogprobs: [Alternative]

    enum CodingKeys: String, CodingKey {
        case token, logprob, bytes
        case topLogprobs = "top_logprobs"
    }
}

/// `choices[].logprobs` of a chat response.
public struct ChatLogprobs: Decodable, Sendable, Equatable {
    public var content: [ChatTokenLogprob]
}

/// `choices[].logprobs` of a (legacy) completion response.
public struct CompletionLogprobs: Decodable, Sendable, Equatable {
    public var tokens: [String] = []
    public var tokenLogprobs: [Float] = []
    public var topLogprobs: [[String: Float]] = []
    public var textOffset: [Int] = []

    enum CodingKeys: String, CodingKey {
        case tokens
        case tokenLogprobs = "token_logprobs"
        case topLogprobs = "top_logprobs"
        case textOffset = "text_offset"
    }
}

/// A chat message in a response or a stream delta.
public struct ResponseMessage: Decodable, Sendable, Equatable {
    public var role: String?
    public var content: String?
}

/// One choice of a response or chunk; which fields are set depends on the API and on streaming.
public struct Choice: Decodable, Sendable, Equatable {
    public var index: Int = 0
    /// Completions: the text.
    public var text: String?
    /// Chat, whole response: the message.
    public var message: ResponseMessage?
    /// Chat, stream chunk: the new part of the message.
    public var delta: ResponseMessage?
    public var chatLogprobs: ChatLogprobs?
    public var completionLogprobs: CompletionLogprobs?
    /// `stop` or `length`; null (present) until the last chunk.
    public var finishReason: String?

    enum CodingKeys: String, CodingKey {
        case index, text, message, delta, logprobs
        case finishReason = "finish_reason"
    }

    public init(
        text: String? = nil, message: ResponseMessage? = nil, delta: ResponseMessage? = nil,
        chatLogprobs: ChatLogprobs? = nil, completionLogprobs: CompletionLogprobs? = nil, finishReason: String? = nil
    ) {
        self.text = text
        self.message = message
        self.delta = delta
        self.chatLogprobs = chatLogprobs
        self.completionLogprobs = completionLogprobs
        self.finishReason = finishReason
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        index = try container.decodeIfPresent(Int.self, forKey: .index) ?? 0
        text = try container.decodeIfPresent(String.self, forKey: .text)
        message = try container.decodeIfPresent(ResponseMessage.self, forKey: .message)
        delta = try container.decodeIfPresent(ResponseMessage.self, forKey: .delta)
        chatLogprobs = try? container.decodeIfPresent(ChatLogprobs.self, forKey: .logprobs)
        completionLogprobs = try? container.decodeIfPresent(CompletionLogprobs.self, forKey: .logprobs)
        finishReason = try container.decodeIfPresent(String.self, forKey: .finishReason)
    }
}

/// A completion, chat completion, or one chunk of a stream of either.
public struct CompletionResponse: Decodable, Sendable, Equatable {
    public var id: String
    /// `text_completion`, `chat.completion` or `chat.completion.chunk`.
    public var object: String
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: Usage?
    public var systemFingerprint: String? = nil

    enum CodingKeys: String, CodingKey {
        case id, object, created, model, choices, usage
        case systemFingerprint = "system_fingerprint"
    }
}

/// `GET /v1/models`.
public struct ModelList: Codable, Sendable, Equatable {
    /// One model.
    public struct Entry: Codable, Sendable, Equatable {
        public var id: String
        public var object = "model"
        public var created: Int
        public var ownedBy = "batchgate"

        enum CodingKeys: String, CodingKey {
            case id, object, created
            case ownedBy = "owned_by"
        }
    }
    public var object = "list"
    public var data: [Entry]
}

/// The body of every error, as OpenAI shapes it.
public struct ErrorBody: Decodable, Sendable, Equatable {
    /// The error object.
    public struct Detail: Decodable, Sendable, Equatable {
        public var message: String
        public var type: String
        public var param: String?
        public var code: String?
    }
    public var error: Detail

    /// The body for `error`.
    public init(_ error: GatewayError) {
        self.error = Detail(message: error.message, type: error.type, param: error.param, code: error.codeLabel)
    }
}
