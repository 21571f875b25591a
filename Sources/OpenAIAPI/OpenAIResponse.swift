/// `usage` of a response.
public struct Usage: Decodable, Sendable, Equatable {
    /// Tokens of the prompt.
    public var promptTokens: Int
    /// Tokens generated.
    public var completionTokens: Int
    /// Their sum.
    public var totalTokens: Int
    /// What the prompt tokens were made of.
    public var promptTokensDetails: PromptTokensDetails?

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
        case promptTokensDetails = "prompt_tokens_details"
    }

    /// Usage of `prompt` prompt tokens, `cached` of them from the prefix cache, and `completion` generated ones.
    public init(prompt: Int, completion: Int, cached: Int = 0) {
        promptTokens = prompt
        completionTokens = completion
        totalTokens = prompt + completion
        promptTokensDetails = PromptTokensDetails(cachedTokens: cached)
    }
}

/// `usage.prompt_tokens_details`: the prompt tokens the server did not compute again.
public struct PromptTokensDetails: Decodable, Sendable, Equatable {
    /// Prompt tokens whose keys and values came from the prefix cache.
    public var cachedTokens: Int

    enum CodingKeys: String, CodingKey {
        case cachedTokens = "cached_tokens"
    }

    /// Details with `cachedTokens` cached prompt tokens.
    public init(cachedTokens: Int) { self.cachedTokens = cachedTokens }
}

/// One token's log-probability in a chat response (`choices[].logprobs.content[]`).
public struct ChatTokenLogprob: Decodable, Sendable, Equatable {
    /// An alternative token.
    public struct Alternative: Decodable, Sendable, Equatable {
        public var token: String
        public var logprob: Float
        public var bytes: [UInt8]

        /// An alternative from its parts.
        public init(token: String, logprob: Float, bytes: [UInt8]) {
            self.token = token
            self.logprob = logprob
            self.bytes = bytes
        }
    }
    public var token: String
    public var logprob: Float
    public var bytes: [UInt8]
    public var topLogprobs: [Alternative]

    /// A token's entry from its parts.
    public init(token: String, logprob: Float, bytes: [UInt8], topLogprobs: [Alternative]) {
        self.token = token
        self.logprob = logprob
        self.bytes = bytes
        self.topLogprobs = topLogprobs
    }

    enum CodingKeys: String, CodingKey {
        case token, logprob, bytes
        case topLogprobs = "top_logprobs"
    }
}

/// `choices[].logprobs` of a chat response.
public struct ChatLogprobs: Decodable, Sendable, Equatable {
    public var content: [ChatTokenLogprob]

    /// The log-probabilities of `content`'s tokens.
    public init(content: [ChatTokenLogprob]) { self.content = content }
}

/// `choices[].logprobs` of a (legacy) completion response.
public struct CompletionLogprobs: Decodable, Sendable, Equatable {
    public var tokens: [String] = []
    public var tokenLogprobs: [Float] = []
    public var topLogprobs: [[String: Float]] = []
    public var textOffset: [Int] = []

    /// Log-probabilities from their parts (empty by default).
    public init(
        tokens: [String] = [], tokenLogprobs: [Float] = [], topLogprobs: [[String: Float]] = [], textOffset: [Int] = []
    ) {
        self.tokens = tokens
        self.tokenLogprobs = tokenLogprobs
        self.topLogprobs = topLogprobs
        self.textOffset = textOffset
    }

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
    /// The calls of tools the answer makes (in a stream delta, the new parts of them).
    public var toolCalls: [ResponseToolCall]?

    enum CodingKeys: String, CodingKey {
        case role, content
        case toolCalls = "tool_calls"
    }

    /// A message or delta with these fields.
    public init(role: String? = nil, content: String? = nil, toolCalls: [ResponseToolCall]? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
    }
}

/// One call of a tool in an answer, or in a stream delta the new part of one (`index` says which call; its first
/// delta carries `id`, `type` and the name, later ones pieces of `arguments`).
public struct ResponseToolCall: Decodable, Sendable, Equatable {
    /// Stream deltas: which call this part belongs to.
    public var index: Int?
    /// The call's id (`call_…`).
    public var id: String?
    /// `function`.
    public var type: String?
    /// The function's name.
    public var name: String?
    /// The arguments as JSON text, or a piece of it.
    public var arguments: String?

    enum CodingKeys: String, CodingKey { case index, id, type, function }
    struct Function: Decodable {
        var name: String?
        var arguments: String?
    }

    /// A call or a delta of one.
    public init(index: Int? = nil, id: String? = nil, type: String? = nil, name: String? = nil, arguments: String?) {
        self.index = index
        self.id = id
        self.type = type
        self.name = name
        self.arguments = arguments
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        index = try container.decodeIfPresent(Int.self, forKey: .index)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        type = try container.decodeIfPresent(String.self, forKey: .type)
        let function = try container.decodeIfPresent(Function.self, forKey: .function)
        name = function?.name
        arguments = function?.arguments
    }
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

    /// A response or chunk from its parts.
    public init(
        id: String, object: String, created: Int, model: String, choices: [Choice], usage: Usage? = nil,
        systemFingerprint: String? = nil
    ) {
        self.id = id
        self.object = object
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
        self.systemFingerprint = systemFingerprint
    }

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

        /// The entry of the model `id`, served since `created` (Unix seconds).
        public init(id: String, created: Int) {
            self.id = id
            self.created = created
        }

        enum CodingKeys: String, CodingKey {
            case id, object, created
            case ownedBy = "owned_by"
        }
    }
    public var object = "list"
    public var data: [Entry]

    /// The list of `data`.
    public init(data: [Entry]) { self.data = data }
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

    /// The body of an error with these fields.
    public init(message: String, type: String, param: String?, code: String?) {
        self.error = Detail(message: message, type: type, param: param, code: code)
    }
}
