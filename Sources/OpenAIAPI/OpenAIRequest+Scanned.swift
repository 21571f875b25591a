extension OpenAIRequest {
    /// The request a document read by `JSONScanner` holds, or nil when a field is not in the plain form this path
    /// reads (text content parts, a whole number written `16.0`, a wrong type): `JSONDecoder` then reads the body
    /// and words any error. Where both read a body they give the same request (tested); `null` is an absent field
    /// here as it is for `decodeIfPresent`.
    init?(scanned document: JSONValue) {
        guard let request = try? Self.read(document) else { return nil }
        self = request
    }

    /// A field not in the form the fast path reads.
    private struct NotPlain: Error {}

    /// `value`, or `NotPlain` when it is nil.
    private static func need<T>(_ value: T?) throws(NotPlain) -> T {
        guard let value else { throw NotPlain() }
        return value
    }

    private static func read(_ document: JSONValue) throws(NotPlain) -> OpenAIRequest {
        guard case .object(let members) = document else { throw NotPlain() }
        var request = OpenAIRequest()
        for (key, value) in members where value != .null {
            switch key {
            case "model": request.model = try need(value.text)
            case "user": request.user = try need(value.text)
            case "messages": request.messages = try need(messages(value))
            case "prompt": request.prompt = try need(prompt(value))
            case "stop": request.stop = try need(stop(value))
            case "max_tokens": request.maxTokens = Integer(try need(value.whole))
            case "max_completion_tokens": request.maxCompletionTokens = Integer(try need(value.whole))
            case "top_k": request.topK = Integer(try need(value.whole))
            case "n": request.n = Integer(try need(value.whole))
            case "top_logprobs": request.topLogprobs = Integer(try need(value.whole))
            case "seed": request.seed = Int64(try need(value.whole))
            case "temperature": request.temperature = try need(value.number)
            case "top_p": request.topP = try need(value.number)
            case "min_p": request.minP = try need(value.number)
            case "presence_penalty": request.presencePenalty = try need(value.number)
            case "frequency_penalty": request.frequencyPenalty = try need(value.number)
            case "repetition_penalty": request.repetitionPenalty = try need(value.number)
            case "stream": request.stream = try need(value.flag)
            case "ignore_eos": request.ignoreEOS = try need(value.flag)
            case "echo": request.echo = try need(value.flag)
            case "stream_options":
                guard case .object(let options) = value else { throw NotPlain() }
                var read = StreamOptions()
                if let include = options.first(where: { $0.key == "include_usage" })?.value, include != .null {
                    read.includeUsage = try need(include.flag)
                }
                request.streamOptions = read
            case "logprobs":
                if let flag = value.flag {
                    request.logprobs = .enabled(flag)
                } else {
                    request.logprobs = .count(try need(value.whole))
                }
            case "logit_bias":
                guard case .object(let entries) = value else { throw NotPlain() }
                var bias: [String: Double] = [:]
                for (token, entry) in entries { bias[token] = try need(entry.number) }
                request.logitBias = bias
            // response_format, tools, tool_choice and parallel_tool_calls: `readStructuredFields`, on both paths.
            case "functions": request.functions = Present()
            case "function_call": request.functionCall = Present()
            default:
                continue
            }
        }
        return request
    }

    private static func messages(_ value: JSONValue) -> [Message]? {
        guard case .array(let items) = value else { return nil }
        var messages: [Message] = []
        messages.reserveCapacity(items.count)
        for item in items {
            guard case .object(let fields) = item,
                let role = fields.first(where: { $0.key == "role" })?.value.text,
                let content = fields.first(where: { $0.key == "content" })?.value.text,
                // Tool calls and tool answers are left to JSONDecoder.
                !fields.contains(where: { $0.key == "tool_calls" || $0.key == "tool_call_id" })
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
