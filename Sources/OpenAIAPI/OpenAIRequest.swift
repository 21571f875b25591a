/// The body of `POST /v1/completions` and `POST /v1/chat/completions`, as OpenAI defines it; unknown fields are
/// ignored, every known one is checked for its type here and for its range in `GenerationPlan`.
public struct OpenAIRequest: Decodable, Sendable, Equatable {
    /// `prompt`: text, or token ids.
    public enum Prompt: Decodable, Sendable, Equatable {
        /// Text to tokenize.
        case text(String)
        /// Token ids, used as they are.
        case tokens([Int32])

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .text(text)
            } else if let tokens = try? container.decode([Int32].self) {
                self = .tokens(tokens)
            } else if let texts = try? container.decode([String].self), texts.count == 1 {
                self = .text(texts[0])
            } else {
                throw DecodingError.typeMismatch(
                    String.self,
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "must be a string, a one-string array or an array of token ids"))
            }
        }
    }

    /// One chat message; `content` is a string or an array of `{"type": "text", "text": …}` parts (null for an
    /// assistant message that holds `tool_calls`).
    public struct Message: Decodable, Sendable, Equatable {
        /// `system`, `user`, `assistant` or `tool`.
        public var role: String
        /// The text.
        public var content: String
        /// An assistant message's calls of tools.
        public var toolCalls: [ToolCall]?
        /// A `tool` message: the call it answers.
        public var toolCallID: String?

        /// One call of an assistant message, as a client sends it back (`{"id", "type", "function": {"name",
        /// "arguments"}}`).
        public struct ToolCall: Decodable, Sendable, Equatable {
            /// The call's id.
            public var id: String
            /// The function's name.
            public var name: String
            /// The arguments as JSON text.
            public var arguments: String

            /// A call from its parts.
            public init(id: String, name: String, arguments: String) {
                self.id = id
                self.name = name
                self.arguments = arguments
            }

            enum CodingKeys: String, CodingKey { case id, type, function }
            struct Function: Decodable {
                var name: String
                var arguments: String
            }

            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                id = try container.decodeIfPresent(String.self, forKey: .id) ?? ""
                let function = try container.decode(Function.self, forKey: .function)
                name = function.name
                arguments = function.arguments
            }
        }

        enum CodingKeys: String, CodingKey {
            case role, content
            case toolCalls = "tool_calls"
            case toolCallID = "tool_call_id"
        }
        struct Part: Decodable {
            var type: String
            var text: String?
        }

        /// A message from its parts.
        public init(role: String, content: String, toolCalls: [ToolCall]? = nil, toolCallID: String? = nil) {
            self.role = role
            self.content = content
            self.toolCalls = toolCalls
            self.toolCallID = toolCallID
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            role = try container.decode(String.self, forKey: .role)
            toolCalls = try container.decodeIfPresent([ToolCall].self, forKey: .toolCalls)
            toolCallID = try container.decodeIfPresent(String.self, forKey: .toolCallID)
            if toolCalls != nil, (try? container.decodeNil(forKey: .content)) ?? true {
                content = ""  // an assistant message of calls only: content null or absent
            } else if let text = try? container.decode(String.self, forKey: .content) {
                content = text
            } else if let parts = try? container.decode([Part].self, forKey: .content) {
                guard parts.allSatisfy({ $0.type == "text" && $0.text != nil }) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .content, in: container, debugDescription: "only text content parts are supported")
                }
                content = parts.compactMap(\.text).joined()
            } else {
                throw DecodingError.typeMismatch(
                    String.self,
                    .init(
                        codingPath: container.codingPath + [CodingKeys.content],
                        debugDescription: "must be a string or an array of text parts"))
            }
        }
    }

    /// `stop`: one string or up to four.
    public struct Stop: Decodable, Sendable, Equatable {
        /// The strings.
        public var strings: [String]

        /// The stop strings `strings`.
        public init(strings: [String]) {
            self.strings = strings
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                strings = []
            } else if let one = try? container.decode(String.self) {
                strings = [one]
            } else {
                strings = try container.decode([String].self)
            }
        }
    }

    /// `stream_options`.
    public struct StreamOptions: Decodable, Sendable, Equatable {
        /// Send a last chunk with `usage` before `[DONE]`.
        public var includeUsage: Bool?
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    /// `logprobs`: a Bool for chat, a count of alternatives for completions.
    public enum Logprobs: Decodable, Sendable, Equatable {
        /// Chat: return logprobs (alternatives from `top_logprobs`).
        case enabled(Bool)
        /// Completions: return logprobs with this many alternatives.
        case count(Int)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                self = .enabled(flag)
            } else if let count = try? container.decode(Integer.self) {
                self = .count(count.value)
            } else if (try? container.decode(Double.self)) != nil {
                self = .count(try container.decode(Integer.self).value)  // a fraction: Integer words it
            } else {
                let chat = decoder.userInfo[OpenAIRequest.chatKey] as? Bool == true
                throw DecodingError.typeMismatch(
                    chat ? Bool.self : Int.self,
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: chat ? "must be a boolean" : "must be an integer (a count of alternatives)"))
            }
        }
    }

    /// A JSON number that must be a whole number (`5` or `5.0`; `5.5` and `1e300` are refused by name).
    public struct Integer: Decodable, Sendable, Equatable {
        /// The value.
        public var value: Int

        /// The whole number `value`.
        public init(_ value: Int) {
            self.value = value
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let whole = try? container.decode(Int.self) {
                value = whole
                return
            }
            let number = try container.decode(Double.self)
            guard number.rounded() == number, let whole = Int(exactly: number) else {
                throw DecodingError.typeMismatch(
                    Int.self, .init(codingPath: decoder.codingPath, debugDescription: "must be an integer"))
            }
            value = whole
        }
    }

    public var model: String?
    public var messages: [Message]?
    public var prompt: Prompt?
    public var maxTokens: Integer?
    public var maxCompletionTokens: Integer?
    public var temperature: Double?
    public var topP: Double?
    public var topK: Integer?
    public var minP: Double?
    public var seed: Int64?
    public var stop: Stop?
    public var n: Integer?
    public var stream: Bool?
    public var streamOptions: StreamOptions?
    public var logprobs: Logprobs?
    public var topLogprobs: Integer?
    public var presencePenalty: Double?
    public var frequencyPenalty: Double?
    public var repetitionPenalty: Double?
    public var logitBias: [String: Double]?
    public var user: String?
    public var ignoreEOS: Bool?
    public var echo: Bool?
    /// `response_format` (read from the scanned body, `OpenAIRequest+Structured.swift`).
    public var responseFormat: ResponseFormat? = nil
    /// `tools`: the functions the model may call.
    public var tools: [Tool]? = nil
    /// `tool_choice`.
    public var toolChoice: ToolChoice? = nil
    /// `parallel_tool_calls`.
    public var parallelToolCalls: Bool? = nil
    /// The deprecated function-calling fields (use `tools`): present or not, so that they are refused by name.
    public var functions: Present?, functionCall: Present?

    /// A field whose value is not read, only noted as present.
    public struct Present: Decodable, Equatable, Sendable {
        /// Noted as present.
        public init() {}
        /// Reads nothing of the value.
        public init(from decoder: any Decoder) throws {}
    }

    /// OpenAI fields the body sets to something Batchgate does not do (`best_of` other than 1, a `suffix`, audio,
    /// non-text `modalities`, `prediction`, web search, `store: true`), read from the scanned body
    /// on both paths (`OpenAIRequest+Structured.swift`).
    public var declinedFields: [String] = []

    /// The names of the fields present that Batchgate does not serve (the deprecated `functions` and
    /// `function_call`, `echo: true`, then `declinedFields`), in a fixed order.
    public var unsupportedFields: [String] {
        [("functions", functions), ("function_call", functionCall)].compactMap { $0.1 == nil ? nil : $0.0 }
            + (echo == true ? ["echo"] : []) + declinedFields
    }

    /// A request with no field set.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case model, messages, prompt, temperature, seed, stop, n, stream, logprobs, user, echo
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p"
        case topK = "top_k"
        case minP = "min_p"
        case streamOptions = "stream_options"
        case topLogprobs = "top_logprobs"
        case presencePenalty = "presence_penalty"
        case frequencyPenalty = "frequency_penalty"
        case repetitionPenalty = "repetition_penalty"
        case logitBias = "logit_bias"
        case ignoreEOS = "ignore_eos"
        case functions
        case functionCall = "function_call"
    }
}
