import Basics
import Foundation
import NIOCore

/// One request body ready to send: encoded once before the run, reused as often as the run needs it.
public struct PreparedRequest: Sendable {
    /// The JSON body.
    public var body: ByteBuffer
    /// Tokens of the prompt text, when known.
    public var promptTokens: Int?
    /// `max_tokens` of the request.
    public var maxTokens: Int
    /// The shared system prompt it begins with (`--shared-prefix-tokens`), kept to build conversation turns.
    public var systemPrompt: String?
    /// Its own question (the synthetic prompt after any shared prefix), kept to build conversation turns.
    public var question: String?
    /// Whether it sends `ignore_eos`.
    public var ignoreEOS = false

    /// Encodes a streamed request for `endpoint`: `prompt` for completions, `messages` for chat (a bare prompt
    /// becomes one user message), with `stream_options.include_usage` and, when asked, `ignore_eos`.
    public init(
        prompt: String?, messages: [[String: String]]?, promptTokens: Int?, maxTokens: Int, model: String,
        endpoint: BenchEndpoint, ignoreEOS: Bool
    ) throws {
        var object: [String: Any] = [
            "model": model, "max_tokens": maxTokens, "stream": true, "stream_options": ["include_usage": true],
        ]
        switch endpoint {
        case .completions:
            guard let prompt else {
                throw BenchError(.invalidArgument, "a chat-messages prompt needs --endpoint chat")
            }
            object["prompt"] = prompt
        case .chat:
            object["messages"] = messages ?? [["role": "user", "content": prompt ?? ""]]
        }
        if ignoreEOS { object["ignore_eos"] = true }
        body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        self.promptTokens = promptTokens
        self.maxTokens = maxTokens
        self.ignoreEOS = ignoreEOS
    }

    /// A request of a shared system prompt `system` (none when nil) and a distinct `question`: for chat, a system
    /// message and a user message; for completions, the two texts on two lines.
    public init(
        system: String?, question: String, promptTokens: Int?, maxTokens: Int, model: String, endpoint: BenchEndpoint,
        ignoreEOS: Bool
    ) throws {
        try self.init(
            conversation: [], system: system, question: question, promptTokens: promptTokens, maxTokens: maxTokens,
            model: model, endpoint: endpoint, ignoreEOS: ignoreEOS)
    }

    /// The next turn of a conversation: the system prompt, every earlier question and the answer it got, then
    /// `question`. Chat sends them as messages; completions as one text, a line each.
    init(
        conversation: [(question: String, answer: String)], system: String?, question: String, promptTokens: Int?,
        maxTokens: Int, model: String, endpoint: BenchEndpoint, ignoreEOS: Bool
    ) throws {
        var messages: [[String: String]] = []
        if let system { messages.append(["role": "system", "content": system]) }
        for turn in conversation {
            messages.append(["role": "user", "content": turn.question])
            messages.append(["role": "assistant", "content": turn.answer])
        }
        messages.append(["role": "user", "content": question])
        let text = messages.map { $0["content"]! }.joined(separator: "\n")
        try self.init(
            prompt: endpoint == .chat ? nil : text, messages: endpoint == .chat ? messages : nil,
            promptTokens: promptTokens, maxTokens: maxTokens, model: model, endpoint: endpoint, ignoreEOS: ignoreEOS)
        systemPrompt = system
        self.question = question
    }

    /// The request a conversation sends with this request's question after the turns of `conversation`.
    func turn(after conversation: [(question: String, answer: String)], settings: BenchSettings) throws
        -> PreparedRequest
    {
        guard let question else { return self }
        return try PreparedRequest(
            conversation: conversation, system: systemPrompt, question: question, promptTokens: nil,
            maxTokens: maxTokens, model: settings.model, endpoint: settings.endpoint, ignoreEOS: ignoreEOS)
    }
}

extension PreparedRequest {
    /// The same request with `max_tokens` set to `tokens` (the sweep's drain probe needs only the first token).
    func limited(toTokens tokens: Int) -> PreparedRequest {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let data = try? JSONSerialization.data(
                withJSONObject: object.merging(["max_tokens": tokens]) { $1 }, options: [.sortedKeys])
        else { return self }
        var limited = self
        limited.body = ByteBuffer(bytes: data)
        limited.maxTokens = tokens
        return limited
    }
}

/// Where prompts come from.
public enum PromptSource: Sendable {
    /// Synthetic prompts with token lengths drawn from the first spec and output lengths from the second.
    case synthetic(prompt: LengthSpec, output: LengthSpec, counter: any TokenCounter)
    /// A JSONL file: one `{"prompt": TEXT}` or `{"messages": [{"role", "content"}]}` per line, with an optional
    /// `max_tokens` (otherwise drawn from `output`).
    case jsonl(path: String, output: LengthSpec)
}

extension PreparedRequest {
    /// The pool of requests a run cycles through: `count` synthetic ones, or every line of the JSONL file.
    ///
    /// With `sharedPrefixTokens` > 0, every synthetic request begins with the same system prompt of that many
    /// tokens (made once, from its own seed, so the questions are those of a run without it), followed by its own
    /// question; its prompt tokens are then the prefix's plus the question's (a chat template adds its own).
    public static func pool(
        from source: PromptSource, count: Int, settings: BenchSettings, ignoreEOS: Bool, seed: UInt64,
        sharedPrefixTokens: Int = 0
    ) async throws -> [PreparedRequest] {
        var random = SplitMix64(seed: seed)
        var pool: [PreparedRequest] = []
        switch source {
        case .synthetic(let promptSpec, let outputSpec, let counter):
            let synthesizer = PromptSynthesizer(counter: counter)
            var prefixRandom = SplitMix64(seed: seed ^ 0x5348_4152_4544)
            let system =
                sharedPrefixTokens > 0
                ? try await synthesizer.prompt(tokens: sharedPrefixTokens, random: &prefixRandom) : nil
            for _ in 0..<max(1, count) {
                let tokens = promptSpec.sample(using: &random)
                let text = try await synthesizer.prompt(tokens: tokens, random: &random)
                pool.append(
                    try PreparedRequest(
                        system: system, question: text, promptTokens: tokens + sharedPrefixTokens,
                        maxTokens: outputSpec.sample(using: &random), model: settings.model,
                        endpoint: settings.endpoint, ignoreEOS: ignoreEOS))
            }
        case .jsonl(let path, let outputSpec):
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
            else { throw BenchError(.file, "cannot read the prompts file \(path)") }
            for (number, line) in text.split(separator: "\n").enumerated()
            where !line.allSatisfy({ $0 == " " || $0 == "\r" }) {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw BenchError(.file, "\(path):\(number + 1): not a JSON object")
                }
                let prompt = object["prompt"] as? String
                let messages = object["messages"] as? [[String: String]]
                guard prompt != nil || messages != nil else {
                    throw BenchError(.file, "\(path):\(number + 1): needs \"prompt\" or \"messages\"")
                }
                let maxTokens = object["max_tokens"] as? Int ?? outputSpec.sample(using: &random)
                pool.append(
                    try PreparedRequest(
                        prompt: prompt, messages: messages, promptTokens: nil, maxTokens: maxTokens,
                        model: settings.model, endpoint: settings.endpoint, ignoreEOS: ignoreEOS))
            }
            guard !pool.isEmpty else { throw BenchError(.file, "\(path) holds no prompt") }
        }
        return pool
    }
}
