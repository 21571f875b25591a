import OpenAIAPI
import Scheduler

extension ResponseBuilder {
    /// The id of the answer's call `index`: unique per request, as the request id is.
    func callID(_ index: Int) -> String {
        "call_" + (id.split(separator: "-").last.map(String.init) ?? id) + "_\(index)"
    }

    /// The message and finish reason of a whole answer read for tool calls: its text before any call as content
    /// (null when there is none), its calls, and `tool_calls` for an answer with calls that ended normally.
    func toolMessage(text: String, finishReason: String?, calling: ToolCalling) -> (ResponseMessage, String?) {
        var reader = ToolCallStream(mode: calling.mode, parallel: calling.parallel)
        let outputs = ToolCallStream.merged(reader.feed(text) + reader.finish())
        var content = ""
        var calls: [ResponseToolCall] = []
        for output in outputs {
            switch output {
            case .text(let piece): content += piece
            case .callStart(let index, let name):
                calls.append(ResponseToolCall(id: callID(index), type: "function", name: name, arguments: ""))
            case .arguments(let index, let piece):
                if calls.indices.contains(index) { calls[index].arguments = (calls[index].arguments ?? "") + piece }
            }
        }
        guard !calls.isEmpty else { return (ResponseMessage(role: "assistant", content: text), finishReason) }
        let message = ResponseMessage(
            role: "assistant", content: content.allSatisfy(\.isWhitespace) ? nil : content, toolCalls: calls)
        return (message, finishReason == "stop" ? "tool_calls" : finishReason)
    }

    /// The stream chunks of `outputs`: text as content deltas; a call's first delta with its index, id, type and
    /// name (and empty arguments), later ones with pieces of its arguments, as OpenAI streams them. `tokens` go with
    /// the first chunk's logprobs.
    func toolChunks(_ outputs: [ToolCallStream.Output], tokens: [GeneratedToken]) -> [CompletionResponse] {
        outputs.enumerated().map { position, output in
            let delta: ResponseMessage
            switch output {
            case .text(let piece): delta = ResponseMessage(content: piece)
            case .callStart(let index, let name):
                delta = ResponseMessage(toolCalls: [
                    ResponseToolCall(index: index, id: callID(index), type: "function", name: name, arguments: "")
                ])
            case .arguments(let index, let piece):
                delta = ResponseMessage(toolCalls: [ResponseToolCall(index: index, arguments: piece)])
            }
            return CompletionResponse(
                id: id, object: chunkObject, created: created, model: model.name,
                choices: [Choice(delta: delta, chatLogprobs: position == 0 ? chatLogprobs(tokens) : nil)])
        }
    }
}
