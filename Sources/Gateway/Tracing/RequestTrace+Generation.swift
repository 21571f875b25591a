import BatchgateConfig
import Tracing

extension RequestTrace {
    /// The request was admitted: the quota since `start`, then the scheduler took it (`submitted(at:)`, called
    /// before the scheduler sees it, so that no step report can come first). Records the `admission` span and names
    /// the key and model on the root span.
    func admitted(
        from start: ContinuousClock.Instant, key: BatchgateConfiguration.APIKey, model: String, promptTokens: Int
    ) {
        span("admission", from: start, to: submittedAt ?? .now) { $0["batchgate.admission.outcome"] = "admitted" }
        annotate { attributes in
            attributes["batchgate.key"] = key.name
            attributes["batchgate.model"] = model
            attributes["gen_ai.request.model"] = model
            attributes["gen_ai.usage.input_tokens"] = promptTokens
        }
    }

    /// The request was refused at admission (quota, full queue, no worker) with `error`, since `start`: the
    /// `admission` span records the refusal's code and the answer's error code.
    func refused(from start: ContinuousClock.Instant, key: BatchgateConfiguration.APIKey, error: any Error) {
        let failure = error as? GatewayError
        span("admission", from: start, to: .now, error: error) { attributes in
            attributes["batchgate.admission.outcome"] = "refused"
            attributes["batchgate.admission.reason"] = failure?.code.rawValue ?? "internal_error"
            // The answer's error code: which quota (`requests`, `tokens`, `concurrent_requests`) for a 429.
            attributes["error.type"] = failure?.codeLabel ?? "\(type(of: error))"
        }
        annotate { $0["batchgate.key"] = key.name }
    }

    /// The generation ended as `ending` says: the `decode` span is recorded and the root span gets the outcome.
    func generationEnded(_ ending: GenerationRun.Ending) {
        finishDecode(tokens: max(0, ending.completionTokens - 1))
        annotate { attributes in
            attributes["gen_ai.usage.output_tokens"] = ending.completionTokens
            if let reason = ending.finishReason { attributes["gen_ai.response.finish_reasons"] = [reason] }
            if let ttft = ending.timeToFirstToken {
                attributes["batchgate.time_to_first_token_ms"] = ttft.inMilliseconds
            }
            if let queued = ending.queueTime { attributes["batchgate.queue_time_ms"] = queued.inMilliseconds }
            if ending.cachedPromptTokens > 0 {
                attributes["batchgate.cached_prompt_tokens"] = ending.cachedPromptTokens
            }
            if ending.clientGone { attributes["batchgate.client_gone"] = true }
            if let error = ending.error { attributes["error.type"] = error.codeLabel }
        }
    }

    /// Records the `stream` span: the SSE body written to the client from `start` to now, `events` events in
    /// `bytes` bytes.
    func streamed(from start: ContinuousClock.Instant, events: Int, bytes: Int, clientGone: Bool) {
        span("stream", from: start, to: .now) { attributes in
            attributes["batchgate.stream.events"] = events
            attributes["batchgate.stream.bytes"] = bytes
            if clientGone { attributes["batchgate.client_gone"] = true }
        }
    }
}

extension Duration {
    /// This span in (fractional) milliseconds.
    var inMilliseconds: Double { inSeconds * 1e3 }
}
