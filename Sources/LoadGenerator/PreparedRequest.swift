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
    public static func pool(
        from source: PromptSource, count: Int, settings: BenchSettings, ignoreEOS: Bool, seed: UInt64
    ) async throws -> [PreparedRequest] {
        var random = SplitMix64(seed: seed)
        var pool: [PreparedRequest] = []
        switch source {
        case .synthetic(let promptSpec, let outputSpec, let counter):
            let synthesizer = PromptSynthesizer(counter: counter)
            for _ in 0..<max(1, count) {
                let tokens = promptSpec.sample(using: &random)
                let text = try await synthesizer.prompt(tokens: tokens, random: &random)
                pool.append(
                    try PreparedRequest(
                        prompt: text, messages: nil, promptTokens: tokens, maxTokens: outputSpec.sample(using: &random),
                        model: settings.model, endpoint: settings.endpoint, ignoreEOS: ignoreEOS))
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
