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

    /// One chat message; `content` is a string or an array of `{"type": "text", "text": …}` parts.
    public struct Message: Decodable, Sendable, Equatable {
        /// `system`, `user` or `assistant`.
        public var role: String
        /// The text.
        public var content: String

        enum CodingKeys: String, CodingKey { case role, content }
        struct Part: Decodable {
            var type: String
            var text: String?
        }

        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            role = try container.decode(String.self, forKey: .role)
            if let text = try? container.decode(String.self, forKey: .content) {
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
    /// `response_format`: only `{"type": "text"}` is served; the others are refused by name, never ignored.
    public var responseFormat: ResponseFormat?
    /// Function-calling fields, not served yet: present or not, so that a request using them is refused by name.
    public var tools: Present?, toolChoice: Present?, functions: Present?, functionCall: Present?
    public var parallelToolCalls: Present?

    /// `response_format`: its `type` (`text`, `json_object`, `json_schema`).
    public struct ResponseFormat: Decodable, Equatable, Sendable {
        /// The format's type.
        public var type: String

        /// A format of `type`.
        public init(type: String) { self.type = type }
    }

    /// A field whose value is not read, only noted as present.
    public struct Present: Decodable, Equatable, Sendable {
        /// Noted as present.
        public init() {}
        /// Reads nothing of the value.
        public init(from decoder: any Decoder) throws {}
    }

    /// The names of the fields present that Batchgate does not serve (a `response_format` other than `text`,
    /// function calling), in a fixed order.
    public var unsupportedFields: [String] {
        var fields: [String] = []
        if let format = responseFormat, format.type != "text" { fields.append("response_format") }
        let calling: [(String, Present?)] = [
            ("tools", tools), ("tool_choice", toolChoice), ("functions", functions), ("function_call", functionCall),
            ("parallel_tool_calls", parallelToolCalls),
        ]
        for (name, value) in calling where value != nil { fields.append(name) }
        return fields
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
        case responseFormat = "response_format"
        case tools
        case toolChoice = "tool_choice"
        case functions
        case functionCall = "function_call"
        case parallelToolCalls = "parallel_tool_calls"
    }
}
