// The JSON text of the answers, written with `JSONWriter` in the shapes OpenAI's API gives them: a field that is
// nil is left out, except `logprobs` and `finish_reason` of a choice and `param` and `code` of an error, which
// are always present (null when unset).

extension Usage: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("prompt_tokens")
        json.int(promptTokens)
        json.key("completion_tokens")
        json.int(completionTokens)
        json.key("total_tokens")
        json.int(totalTokens)
        json.endObject()
    }
}

extension ChatTokenLogprob.Alternative: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("token")
        json.string(token)
        json.key("logprob")
        json.float(logprob)
        json.key("bytes")
        json.bytes(bytes)
        json.endObject()
    }
}

extension ChatTokenLogprob: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("token")
        json.string(token)
        json.key("logprob")
        json.float(logprob)
        json.key("bytes")
        json.bytes(bytes)
        json.key("top_logprobs")
        json.array(topLogprobs)
        json.endObject()
    }
}

extension ChatLogprobs: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("content")
        json.array(content)
        json.endObject()
    }
}

extension CompletionLogprobs: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("tokens")
        json.beginArray()
        for token in tokens { json.string(token) }
        json.endArray()
        json.key("token_logprobs")
        json.beginArray()
        for logprob in tokenLogprobs { json.float(logprob) }
        json.endArray()
        json.key("top_logprobs")
        json.beginArray()
        for alternatives in topLogprobs {
            json.beginObject()
            for (token, logprob) in alternatives {
                json.key(token)
                json.float(logprob)
            }
            json.endObject()
        }
        json.endArray()
        json.key("text_offset")
        json.beginArray()
        for offset in textOffset { json.int(offset) }
        json.endArray()
        json.endObject()
    }
}

extension ResponseMessage: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        if let role {
            json.key("role")
            json.string(role)
        }
        if let content {
            json.key("content")
            json.string(content)
        }
        json.endObject()
    }
}

extension Choice: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("index")
        json.int(index)
        if let text {
            json.key("text")
            json.string(text)
        }
        if let message {
            json.key("message")
            json.value(message)
        }
        if let delta {
            json.key("delta")
            json.value(delta)
        }
        json.key("logprobs")
        if let chatLogprobs {
            json.value(chatLogprobs)
        } else if let completionLogprobs {
            json.value(completionLogprobs)
        } else {
            json.null()
        }
        json.key("finish_reason")
        json.string(finishReason)
        json.endObject()
    }
}

extension CompletionResponse: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("id")
        json.string(id)
        json.key("object")
        json.string(object)
        json.key("created")
        json.int(created)
        json.key("model")
        json.string(model)
        json.key("choices")
        json.array(choices)
        if let usage {
            json.key("usage")
            json.value(usage)
        }
        if let systemFingerprint {
            json.key("system_fingerprint")
            json.string(systemFingerprint)
        }
        json.endObject()
    }
}

extension ErrorBody: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("error")
        json.beginObject()
        json.key("message")
        json.string(error.message)
        json.key("type")
        json.string(error.type)
        json.key("param")
        json.string(error.param)
        json.key("code")
        json.string(error.code)
        json.endObject()
        json.endObject()
    }
}

extension JSONWriter {
    /// An array of values that write themselves.
    mutating func array(_ values: [some JSONWritable]) {
        beginArray()
        for value in values { value.write(to: &self) }
        endArray()
    }

    /// Bytes as an array of numbers (the `bytes` of a logprob entry).
    mutating func bytes(_ values: [UInt8]) {
        beginArray()
        for value in values { int(Int(value)) }
        endArray()
    }
}
