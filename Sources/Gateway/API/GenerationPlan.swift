import Grammar
import OpenAIAPI
import Scheduler
import Tokenizers

/// Which API a request came through; it decides defaults and response shapes.
public enum CompletionKind: Sendable {
    /// `POST /v1/completions`.
    case text
    /// `POST /v1/chat/completions`.
    case chat
}

/// A request after validation: what to hand the scheduler, and how to shape the answer.
public struct GenerationPlan: Sendable {
    /// The API it came through.
    public var kind: CompletionKind
    /// The tokenized request for the scheduler.
    public var request: GenerationRequest
    /// Stream Server-Sent Events instead of one JSON object.
    public var stream: Bool
    /// Send a `usage` chunk before `[DONE]`.
    public var includeUsage: Bool
    /// Strings that end the generation when they appear in its text (not included in it).
    public var stopStrings: [String]
    /// Return logprobs, with this many alternatives per token; nil for none.
    public var logprobAlternatives: Int?
    /// How the answer is read for tool calls; nil when the request offers no tools (or `tool_choice` is `none`).
    var toolCalling: ToolCalling?

    /// The most `stop` strings a request may send.
    public static let maxStopStrings = 4
    /// The most alternatives per token.
    public static let maxTopLogprobs = GenerationSampling.maxTopLogprobs
    /// The token limit of a completion that names none (OpenAI's default).
    public static let defaultCompletionTokens = 16

    /// Validates `body` for `model` and builds the plan; every refusal is a 400 naming the field.
    public init(
        _ body: OpenAIRequest, kind: CompletionKind, model: ServedModel, tenant: String, priority: Int
    ) throws(GatewayError) {
        self.kind = kind
        if let n = body.n?.value, n != 1 {
            throw GatewayError(.invalidRequest, "'n' must be 1: one choice per request is supported", param: "n")
        }
        if let field = body.unsupportedFields.first {
            let why =
                switch field {
                case "functions", "function_call":
                    "(deprecated by OpenAI) is not supported: use 'tools' and 'tool_choice'"
                case "echo": "is not supported: the answer never repeats the prompt"
                case "best_of": "must be 1: one completion is generated per request"
                case "suffix": "is not supported: Batchgate does not insert text"
                case "modalities": "may only be [\"text\"]"
                case "store": "is not supported: Batchgate stores no completions"
                default: "is not supported by Batchgate"
                }
            throw GatewayError(.invalidRequest, "'\(field)' \(why)", param: field)
        }
        let (toolCalling, toolConstraint) = try Self.toolCalling(body, kind: kind, model: model)
        self.toolCalling = toolCalling
        let formatConstraint = try Self.constraint(body.responseFormat)
        if formatConstraint != nil && toolCalling != nil {
            throw GatewayError(
                .invalidRequest,
                "'response_format' json_object or json_schema cannot be combined with 'tools' unless 'tool_choice' is "
                    + "'none'", param: "response_format")
        }
        let promptTokens = try Self.promptTokens(body, kind: kind, model: model, offersTools: toolCalling != nil)
        let context = model.contextLength
        guard promptTokens.count < context else {
            throw GatewayError(
                .contextLengthExceeded,
                "the prompt is \(promptTokens.count) tokens; model '\(model.name)' has a context of \(context) tokens",
                param: kind == .chat ? "messages" : "prompt", label: "context_length_exceeded")
        }
        var sampling = try Self.sampling(body, kind: kind, model: model)
        sampling.constraint = toolConstraint ?? formatConstraint
        let limitField = body.maxCompletionTokens != nil ? "max_completion_tokens" : "max_tokens"
        if let limit = (body.maxCompletionTokens ?? body.maxTokens)?.value {
            guard limit >= 1 else {
                throw GatewayError(.invalidRequest, "'\(limitField)' must be at least 1", param: limitField)
            }
            // Compared as room left, not as a sum: a limit near Int.max must not overflow.
            guard limit <= context - promptTokens.count else {
                throw GatewayError(
                    .contextLengthExceeded,
                    "prompt (\(promptTokens.count) tokens) plus '\(limitField)' (\(limit)) exceed the context of "
                        + "model '\(model.name)' (\(context) tokens)",
                    param: limitField, label: "context_length_exceeded")
            }
            sampling.maxTokens = UInt32(limit)
        } else {
            let room = context - promptTokens.count
            sampling.maxTokens = UInt32(kind == .chat ? room : min(room, Self.defaultCompletionTokens))
        }
        request = GenerationRequest(promptTokens: promptTokens, sampling: sampling, tenant: tenant, priority: priority)
        stream = body.stream ?? false
        includeUsage = body.streamOptions?.includeUsage ?? false
        let stops = body.stop?.strings ?? []
        guard stops.count <= Self.maxStopStrings else {
            throw GatewayError(.invalidRequest, "'stop' may hold at most \(Self.maxStopStrings) strings", param: "stop")
        }
        guard stops.allSatisfy({ !$0.isEmpty }) else {
            throw GatewayError(.invalidRequest, "'stop' strings must not be empty", param: "stop")
        }
        stopStrings = stops
        logprobAlternatives = sampling.logprobs ? Int(sampling.topLogprobs) : nil
    }

    static func promptTokens(
        _ body: OpenAIRequest, kind: CompletionKind, model: ServedModel, offersTools: Bool = false
    ) throws(GatewayError) -> [Int32] {
        switch kind {
        case .chat:
            guard let messages = body.messages else {
                throw GatewayError(.invalidRequest, "'messages' is required", param: "messages")
            }
            guard !messages.isEmpty else {
                throw GatewayError(.invalidRequest, "'messages' must hold at least one message", param: "messages")
            }
            for (index, message) in messages.enumerated()
            where !["system", "user", "assistant", "tool"].contains(message.role) {
                throw GatewayError(
                    .invalidRequest,
                    "'messages[\(index)].role' is '\(message.role)'; expected system, user, assistant or tool",
                    param: "messages[\(index)].role")
            }
            guard let template = model.chatTemplate else {
                throw GatewayError(
                    .invalidRequest,
                    "model '\(model.name)' has no chat template Batchgate recognises; use /v1/completions, or set "
                        + "chat_template in its configuration", param: "model")
            }
            if !template.writesTools,
                let index = messages.firstIndex(where: { $0.role == "tool" || $0.toolCalls != nil })
            {
                throw GatewayError(
                    .invalidRequest,
                    "'messages[\(index)]' holds a tool call or result; model '\(model.name)' uses the "
                        + "\(template.family.rawValue) chat format, which Batchgate writes no tools in (ChatML and Llama 3.1 "
                        + "do)",
                    param: "messages[\(index)]")
            }
            let chat = messages.map { message in
                ChatMessage(
                    role: .init(rawValue: message.role), content: message.content,
                    toolCalls: (message.toolCalls ?? []).map {
                        ChatToolCall(name: $0.name, arguments: SchemaValue.pythonJSONText(of: $0.arguments))
                    })
            }
            let tools = offersTools ? (body.tools ?? []).map(\.chatTool) : []
            do {
                return try template.render(messages: chat, tools: tools, tokenizer: model.tokenizer)
            } catch {
                throw GatewayError(.invalidRequest, "the messages cannot be rendered: \(error)", param: "messages")
            }
        case .text:
            guard let prompt = body.prompt else {
                throw GatewayError(.invalidRequest, "'prompt' is required", param: "prompt")
            }
            switch prompt {
            case .text(let text):
                let tokens = model.tokenizer.encode(text, addSpecial: true, parseSpecial: false)
                guard !tokens.isEmpty else {
                    throw GatewayError(.invalidRequest, "'prompt' is empty", param: "prompt")
                }
                return tokens
            case .tokens(let tokens):
                guard !tokens.isEmpty else {
                    throw GatewayError(.invalidRequest, "'prompt' holds no token ids", param: "prompt")
                }
                let vocabulary = Int32(model.tokenizer.vocabularySize)
                if let bad = tokens.firstIndex(where: { $0 < 0 || $0 >= vocabulary }) {
                    throw GatewayError(
                        .invalidRequest,
                        "'prompt[\(bad)]' is token \(tokens[bad]); the vocabulary has ids 0..<\(vocabulary)",
                        param: "prompt")
                }
                return tokens
            }
        }
    }

    static func sampling(_ body: OpenAIRequest, kind: CompletionKind, model: ServedModel) throws(GatewayError)
        -> GenerationSampling
    {
        func check(_ value: Double?, _ field: String, _ range: ClosedRange<Double>) throws(GatewayError) -> Float? {
            guard let value else { return nil }
            guard value.isFinite, range.contains(value) else {
                throw GatewayError(
                    .invalidRequest, "'\(field)' must be between \(range.lowerBound) and \(range.upperBound)",
                    param: field)
            }
            return Float(value)
        }
        var sampling = GenerationSampling()
        sampling.temperature = try check(body.temperature, "temperature", 0...2) ?? 1
        sampling.topP = try check(body.topP, "top_p", 0...1) ?? 1
        if sampling.topP == 0 {
            // No token reaches a probability mass of 0 (nor of a value below the smallest float, such as 1e-300):
            // only the most likely one is kept, which is greedy decoding, as OpenAI treats a tiny top_p.
            sampling.temperature = 0
            sampling.topP = 1
        }
        sampling.minP = try check(body.minP, "min_p", 0...1) ?? 0
        sampling.presencePenalty = try check(body.presencePenalty, "presence_penalty", -2...2) ?? 0
        sampling.frequencyPenalty = try check(body.frequencyPenalty, "frequency_penalty", -2...2) ?? 0
        sampling.repetitionPenalty = try check(body.repetitionPenalty, "repetition_penalty", 0.01...10) ?? 1
        if let topK = body.topK?.value {
            guard topK >= 0 else { throw GatewayError(.invalidRequest, "'top_k' must be 0 or more", param: "top_k") }
            sampling.topK = UInt32(min(topK, model.tokenizer.vocabularySize))
        }
        // Without a seed each request draws its own, so equal requests do not give equal samples.
        sampling.seed = body.seed.map { UInt64(bitPattern: $0) } ?? UInt64.random(in: 0...UInt64.max)
        sampling.ignoreEOS = body.ignoreEOS ?? false
        let vocabulary = model.tokenizer.vocabularySize
        // Each token at most once (so at most one entry per vocabulary token: the bound that keeps a request's
        // sampling parameters within the step size its workers' rings are made for).
        var biased: [Int32: String] = [:]
        for (key, bias) in (body.logitBias ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let token = Int32(key), token >= 0, Int(token) < vocabulary else {
                throw GatewayError(
                    .invalidRequest, "'logit_bias' key '\(key)' is not a token id in 0..<\(vocabulary)",
                    param: "logit_bias")
            }
            if let earlier = biased.updateValue(key, forKey: token) {
                throw GatewayError(
                    .invalidRequest, "'logit_bias' names token \(token) twice ('\(earlier)' and '\(key)')",
                    param: "logit_bias")
            }
            guard bias.isFinite, (-100...100).contains(bias) else {
                throw GatewayError(
                    .invalidRequest, "'logit_bias' values must be between -100 and 100", param: "logit_bias")
            }
            sampling.logitBias.append(TokenBias(token: token, bias: Float(bias)))
        }
        switch (kind, body.logprobs) {
        case (_, nil), (.chat, .enabled(false)):
            if let top = body.topLogprobs?.value, top != 0 {
                throw GatewayError(
                    .invalidRequest, "'top_logprobs' needs 'logprobs': true", param: "top_logprobs")
            }
        case (.chat, .enabled(true)):
            let top = body.topLogprobs?.value ?? 0
            guard (0...maxTopLogprobs).contains(top) else {
                throw GatewayError(
                    .invalidRequest, "'top_logprobs' must be between 0 and \(maxTopLogprobs)", param: "top_logprobs")
            }
            sampling.logprobs = true
            sampling.topLogprobs = UInt8(top)
        case (.text, .count(let top)):
            guard (0...maxTopLogprobs).contains(top) else {
                throw GatewayError(
                    .invalidRequest, "'logprobs' must be between 0 and \(maxTopLogprobs)", param: "logprobs")
            }
            sampling.logprobs = true
            sampling.topLogprobs = UInt8(top)
        case (.chat, .count):
            throw GatewayError(.invalidRequest, "'logprobs' must be a boolean for chat completions", param: "logprobs")
        case (.text, .enabled):
            throw GatewayError(.invalidRequest, "'logprobs' must be an integer for completions", param: "logprobs")
        }
        sampling.stopTokens = stopTokens(kind, model: model.description)
        return sampling
    }

    /// How the answer is read for tools, and the constraint `tool_choice` `required` or a named function puts on it;
    /// nil for a request without tools or with `tool_choice` `none` (its tools are then left out of the prompt).
    static func toolCalling(_ body: OpenAIRequest, kind: CompletionKind, model: ServedModel) throws(GatewayError)
        -> (ToolCalling?, GenerationConstraint?)
    {
        let tools = body.tools ?? []
        guard !tools.isEmpty else {
            if body.toolChoice != nil && body.toolChoice != OpenAIRequest.ToolChoice.none {
                throw GatewayError(.invalidRequest, "'tool_choice' needs 'tools'", param: "tool_choice")
            }
            return (nil, nil)
        }
        guard kind == .chat else {
            throw GatewayError(.invalidRequest, "'tools' are for /v1/chat/completions", param: "tools")
        }
        var names: Set<String> = []
        for (index, tool) in tools.enumerated() {
            guard !tool.name.isEmpty, tool.name.count <= 64,
                tool.name.unicodeScalars.allSatisfy({
                    $0.properties.isAlphabetic || "0123456789_-.".unicodeScalars.contains($0)
                })
            else {
                throw GatewayError(
                    .invalidRequest, "'tools[\(index)].function.name' must be 1 to 64 letters, digits, '_', '-' or '.'",
                    param: "tools[\(index)].function.name")
            }
            guard names.insert(tool.name).inserted else {
                throw GatewayError(
                    .invalidRequest, "'tools' names the function '\(tool.name)' twice", param: "tools[\(index)]")
            }
        }
        let choice = body.toolChoice ?? .auto
        if choice == .none { return (nil, nil) }
        guard let template = model.chatTemplate, let style = template.toolCallStyle else {
            throw GatewayError(
                .invalidRequest,
                "model '\(model.name)' uses the \(model.chatTemplate?.family.rawValue ?? "unknown") chat format, which "
                    + "Batchgate writes no tools in (ChatML and Llama 3.1 do)", param: "tools")
        }
        let key = style == .bareJSON ? "parameters" : "arguments"
        switch choice {
        case .none, .auto:
            let mode: ToolCalling.Mode = style == .bareJSON ? .bare : .tagged
            return (ToolCalling(mode: mode, parallel: body.parallelToolCalls ?? true), nil)
        case .required: return (ToolCalling(mode: .forced), .jsonSchema(try callSchema(tools, argumentsKey: key)))
        case .function(let name):
            guard let tool = tools.first(where: { $0.name == name }) else {
                throw GatewayError(
                    .invalidRequest, "'tool_choice' names the function '\(name)', which 'tools' does not hold",
                    param: "tool_choice")
            }
            return (ToolCalling(mode: .forced), .jsonSchema(try callSchema([tool], argumentsKey: key)))
        }
    }

    /// The tokens that end a generation through `kind`: the model's end of generation, and for chat its template's
    /// end of turn.
    static func stopTokens(_ kind: CompletionKind, model: ModelDescription) -> [Int32] {
        var stops = model.tokenizer.endOfGeneration
        if kind == .chat, let template = model.chatTemplate {
            stops.formUnion(template.stopTokens(for: model.tokenizer))
        }
        return stops.sorted()
    }
}
