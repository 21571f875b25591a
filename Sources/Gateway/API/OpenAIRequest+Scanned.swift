extension OpenAIRequest {
    /// The request a document read by `JSONScanner` holds, or nil when a field is not in the plain form this path
    /// reads (text content parts, a whole number written `16.0`, a wrong type): `JSONDecoder` then reads the body
    /// and words any error. Where both read a body they give the same request (tested); `null` is an absent field
    /// here as it is for `decodeIfPresent`.
    init?(scanned document: JSONValue) {
        guard case .object(let members) = document else { return nil }
        self.init()
        for (key, value) in members where value != .null {
            switch key {
            case "model": guard let text = value.text else { return nil }; model = text
            case "user": guard let text = value.text else { return nil }; user = text
            case "messages": guard let list = Self.messages(value) else { return nil }; messages = list
            case "prompt": guard let read = Self.prompt(value) else { return nil }; prompt = read
            case "stop": guard let read = Self.stop(value) else { return nil }; stop = read
            case "max_tokens": guard let whole = value.whole else { return nil }; maxTokens = Integer(whole)
            case "max_completion_tokens":
                guard let whole = value.whole else { return nil }
                maxCompletionTokens = Integer(whole)
            case "top_k": guard let whole = value.whole else { return nil }; topK = Integer(whole)
            case "n": guard let whole = value.whole else { return nil }; n = Integer(whole)
            case "top_logprobs": guard let whole = value.whole else { return nil }; topLogprobs = Integer(whole)
            case "seed": guard let whole = value.whole else { return nil }; seed = Int64(whole)
            case "temperature": guard let number = value.number else { return nil }; temperature = number
            case "top_p": guard let number = value.number else { return nil }; topP = number
            case "min_p": guard let number = value.number else { return nil }; minP = number
            case "presence_penalty": guard let number = value.number else { return nil }; presencePenalty = number
            case "frequency_penalty": guard let number = value.number else { return nil }; frequencyPenalty = number
            case "repetition_penalty":
                guard let number = value.number else { return nil }
                repetitionPenalty = number
            case "stream": guard let flag = value.flag else { return nil }; stream = flag
            case "ignore_eos": guard let flag = value.flag else { return nil }; ignoreEOS = flag
            case "echo": guard let flag = value.flag else { return nil }; echo = flag
            case "stream_options":
                guard case .object(let options) = value else { return nil }
                var read = StreamOptions()
                if let include = options.first(where: { $0.key == "include_usage" })?.value, include != .null {
                    guard let flag = include.flag else { return nil }
                    read.includeUsage = flag
                }
                streamOptions = read
            case "logprobs":
                if let flag = value.flag {
                    logprobs = .enabled(flag)
                } else if let whole = value.whole {
                    logprobs = .count(whole)
                } else {
                    return nil
                }
            case "logit_bias":
                guard case .object(let entries) = value else { return nil }
                var bias: [String: Double] = [:]
                for (token, entry) in entries {
                    guard let number = entry.number else { return nil }
                    bias[token] = number
                }
                logitBias = bias
            default:
                continue
            }
        }
    }

    private static func messages(_ value: JSONValue) -> [Message]? {
        guard case .array(let items) = value else { return nil }
        var messages: [Message] = []
        messages.reserveCapacity(items.count)
        for item in items {
            guard case .object(let fields) = item,
                let role = fields.first(where: { $0.key == "role" })?.value.text,
                let content = fields.first(where: { $0.key == "content" })?.value.text
            else { return nil }
            messages.append(Message(role: role, content: content))
        }
        return messages
    }

    /// Text, token ids (`Int32`), or an array of one text, tried in the order `Prompt.init(from:)` tries them.
    private static func prompt(_ value: JSONValue) -> Prompt? {
        if let text = value.text { return .text(text) }
        guard case .array(let items) = value else { return nil }
        var tokens: [Int32] = []
        tokens.reserveCapacity(items.count)
        for item in items {
            guard let whole = item.whole, let token = Int32(exactly: whole) else {
                if items.count == 1, let text = items[0].text { return .text(text) }
                return nil
            }
            tokens.append(token)
        }
        return .tokens(tokens)
    }

    private static func stop(_ value: JSONValue) -> Stop? {
        if let text = value.text { return Stop(strings: [text]) }
        guard case .array(let items) = value else { return nil }
        var strings: [String] = []
        for item in items {
            guard let text = item.text else { return nil }
            strings.append(text)
        }
        return Stop(strings: strings)
    }
}

extension JSONValue {
    /// The string, if this is one.
    fileprivate var text: String? {
        if case .string(let text) = self { text } else { nil }
    }

    /// The whole number written without fraction or exponent, if this is one that fits an `Int`.
    fileprivate var whole: Int? {
        if case .number(let integer, _) = self { integer } else { nil }
    }

    /// The number, if this is one.
    fileprivate var number: Double? {
        if case .number(_, let double) = self { double } else { nil }
    }

    /// The boolean, if this is one.
    fileprivate var flag: Bool? {
        if case .bool(let flag) = self { flag } else { nil }
    }
}
