import Foundation
import OpenAIAPI
import Scheduler
import Tokenizers

/// Shapes generated text and tokens into OpenAI's response objects and stream chunks.
struct ResponseBuilder: Sendable {
    let id: String
    let created: Int
    let plan: GenerationPlan
    let model: ServedModel

    var object: String { plan.kind == .chat ? "chat.completion" : "text_completion" }
    var chunkObject: String { plan.kind == .chat ? "chat.completion.chunk" : "text_completion" }

    /// The text of one token as a client sees it in logprobs.
    func text(of token: Int32) -> String {
        String(decoding: (try? model.tokenizer.piece(for: token)) ?? [], as: UTF8.self)
    }

    func chatLogprobs(_ tokens: [GeneratedToken]) -> ChatLogprobs? {
        guard plan.logprobAlternatives != nil else { return nil }
        return ChatLogprobs(
            content: tokens.map { token in
                let text = text(of: token.token)
                return ChatTokenLogprob(
                    token: text, logprob: token.logprob, bytes: Array(text.utf8),
                    topLogprobs: token.topLogprobs.map { alternative in
                        let text = self.text(of: alternative.token)
                        return .init(token: text, logprob: alternative.logprob, bytes: Array(text.utf8))
                    })
            })
    }

    func completionLogprobs(_ tokens: [GeneratedToken], offset: Int) -> CompletionLogprobs? {
        guard plan.logprobAlternatives != nil else { return nil }
        var result = CompletionLogprobs()
        var position = offset
        for token in tokens {
            let text = text(of: token.token)
            result.tokens.append(text)
            result.tokenLogprobs.append(token.logprob)
            result.topLogprobs.append(
                Dictionary(
                    token.topLogprobs.map { (self.text(of: $0.token), $0.logprob) }, uniquingKeysWith: { a, _ in a }))
            result.textOffset.append(position)
            position += text.utf8.count
        }
        return result
    }

    /// A whole (non-streamed) response.
    func whole(text: String, tokens: [GeneratedToken], ending: GenerationRun.Ending) -> CompletionResponse {
        let (message, finishReason) =
            plan.toolCalling.map { toolMessage(text: text, finishReason: ending.finishReason, calling: $0) }
            ?? (ResponseMessage(role: "assistant", content: text), ending.finishReason)
        let choice =
            plan.kind == .chat
            ? Choice(message: message, chatLogprobs: chatLogprobs(tokens), finishReason: finishReason)
            : Choice(
                text: text, completionLogprobs: completionLogprobs(tokens, offset: 0),
                finishReason: ending.finishReason)
        return CompletionResponse(
            id: id, object: object, created: created, model: model.name, choices: [choice],
            usage: Usage(
                prompt: ending.promptTokens, completion: ending.completionTokens, cached: ending.cachedPromptTokens))
    }

    /// The first chunk of a chat stream (the assistant role, no text yet).
    func roleChunk() -> CompletionResponse {
        CompletionResponse(
            id: id, object: chunkObject, created: created, model: model.name,
            choices: [Choice(delta: ResponseMessage(role: "assistant", content: ""))])
    }

    /// A chunk with new text.
    func chunk(text: String, tokens: [GeneratedToken], offset: Int) -> CompletionResponse {
        let choice =
            plan.kind == .chat
            ? Choice(delta: ResponseMessage(content: text), chatLogprobs: chatLogprobs(tokens))
            : Choice(text: text, completionLogprobs: completionLogprobs(tokens, offset: offset))
        return CompletionResponse(id: id, object: chunkObject, created: created, model: model.name, choices: [choice])
    }

    /// The last chunk with choices: empty text and the finish reason.
    func finishChunk(_ reason: String) -> CompletionResponse {
        let choice =
            plan.kind == .chat
            ? Choice(delta: ResponseMessage(), finishReason: reason) : Choice(text: "", finishReason: reason)
        return CompletionResponse(id: id, object: chunkObject, created: created, model: model.name, choices: [choice])
    }

    /// The usage chunk (`choices: []`), sent when `stream_options.include_usage` is set.
    func usageChunk(_ ending: GenerationRun.Ending) -> CompletionResponse {
        CompletionResponse(
            id: id, object: chunkObject, created: created, model: model.name, choices: [],
            usage: Usage(
                prompt: ending.promptTokens, completion: ending.completionTokens, cached: ending.cachedPromptTokens))
    }
}
