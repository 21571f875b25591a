// The JSON text of the answers, written with `JSONWriter` in the shapes OpenAI's API gives them: a field that is
// nil is left out, except `logprobs` and `finish_reason` of a choice and `param` and `code` of an error, which
// are always present (null when unset).

extension Usage: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("prompt_tokens", promptTokens)
        json.field("completion_tokens", completionTokens)
        json.field("total_tokens", totalTokens)
        json.field("prompt_tokens_details", ifPresent: promptTokensDetails)
        json.endObject()
    }
}

extension PromptTokensDetails: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("cached_tokens", cachedTokens)
        json.endObject()
    }
}

extension ChatTokenLogprob.Alternative: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("token", token)
        json.field("logprob", logprob)
        json.field("bytes", bytes)
        json.endObject()
    }
}

extension ChatTokenLogprob: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("token", token)
        json.field("logprob", logprob)
        json.field("bytes", bytes)
        json.field("top_logprobs", topLogprobs)
        json.endObject()
    }
}

extension ChatLogprobs: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("content", content)
        json.endObject()
    }
}

extension CompletionLogprobs: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("tokens", tokens)
        json.field("token_logprobs", tokenLogprobs)
        json.field("top_logprobs", topLogprobs)
        json.field("text_offset", textOffset)
        json.endObject()
    }
}

extension ResponseMessage: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("role", ifPresent: role)
        if toolCalls != nil && role != nil {
            json.field("content", orNull: content)  // an answer of calls: content null, as OpenAI writes it
        } else {
            json.field("content", ifPresent: content)
        }
        json.field("tool_calls", ifPresent: toolCalls)
        json.endObject()
    }
}

extension ResponseToolCall: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("index", ifPresent: index)
        json.field("id", ifPresent: id)
        json.field("type", ifPresent: type)
        json.key("function")
        json.beginObject()
        json.field("name", ifPresent: name)
        json.field("arguments", ifPresent: arguments)
        json.endObject()
        json.endObject()
    }
}

extension Choice: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("index", index)
        json.field("text", ifPresent: text)
        json.field("message", ifPresent: message)
        json.field("delta", ifPresent: delta)
        if let chatLogprobs {
            json.field("logprobs", chatLogprobs)
        } else {
            json.field("logprobs", orNull: completionLogprobs)
        }
        json.field("finish_reason", orNull: finishReason)
        json.endObject()
    }
}

extension CompletionResponse: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("id", id)
        json.field("object", object)
        json.field("created", created)
        json.field("model", model)
        json.field("choices", choices)
        json.field("usage", ifPresent: usage)
        json.field("system_fingerprint", ifPresent: systemFingerprint)
        json.endObject()
    }
}

extension ErrorBody: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("error")
        json.beginObject()
        json.field("message", error.message)
        json.field("type", error.type)
        json.field("param", orNull: error.param)
        json.field("code", orNull: error.code)
        json.endObject()
        json.endObject()
    }
}
