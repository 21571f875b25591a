import Foundation
import Logging
import OpenAIAPI
import Scheduler
import Tokenizers

/// One generation as the client sees it: scheduler events turned into text (detokenized, with `stop` strings
/// applied), quota charged as tokens stream, latency metrics recorded, and exactly one ending.
struct GenerationRun: Sendable {
    let model: ServedModel
    let plan: GenerationPlan
    let lease: any QuotaLease
    let metrics: GatewayMetrics
    /// Whether the client is still there (checked at every event, so a departed client is noticed within a step).
    let isConnected: @Sendable () -> Bool
    let deadline: ContinuousClock.Instant
    let logger: Logger

    /// How a generation ended.
    struct Ending: Sendable {
        /// `stop` or `length`, when it ended normally.
        var finishReason: String?
        /// The error to report, when it did not.
        var error: GatewayError?
        /// The client went away.
        var clientGone = false
        var promptTokens: Int
        /// Prompt tokens the worker took from its prefix cache.
        var cachedPromptTokens = 0
        var completionTokens = 0
        var queueTime: Duration?
        var timeToFirstToken: Duration?
    }

    /// Consumes `stream` (the events of the scheduler's request `id`), calling `emit` with each piece of text and the
    /// tokens that made it.
    func run(
        _ stream: some AsyncSequence<GenerationEvent, Never>, id: UInt64, started: ContinuousClock.Instant,
        emit: (String, [GeneratedToken]) async throws -> Void
    ) async throws -> Ending {
        var ending = Ending(promptTokens: plan.request.promptTokens.count)
        var detokenizer = StreamingDetokenizer(tokenizer: model.tokenizer)
        var stops = StopStringMatcher(plan.stopStrings)
        var pendingTokens: [GeneratedToken] = []
        var last = started
        let perModel = metrics.model(model.name)
        let perKey = metrics.key(plan.request.tenant, model: model.name)
        /// Sends what the stop matcher and the detokenizer still hold, with the tokens not sent yet.
        func flush() async throws {
            let rest = stops.finish() + detokenizer.finish()
            if !rest.isEmpty || !pendingTokens.isEmpty { try await emit(rest, pendingTokens) }
            pendingTokens.removeAll()
        }
        func end(_ update: (inout Ending) -> Void) {
            update(&ending)
            model.scheduler.cancel(id)
        }
        for await event in stream {
            guard isConnected() else {
                end { $0.clientGone = true }
                break
            }
            guard ContinuousClock.now < deadline else {
                end { $0.error = GatewayError(.requestTimeout, "the request took longer than the gateway allows") }
                break
            }
            switch event {
            case .token(let token):
                // A token is delivered only once it is paid for: the quota cannot be overrun by even one token.
                guard lease.charge(completionTokens: 1) else {
                    logger.notice(
                        "token quota exhausted mid-generation; ending the stream with finish_reason length",
                        metadata: ["model": "\(model.name)", "completion_tokens": "\(ending.completionTokens)"])
                    try await flush()
                    end { $0.finishReason = "length" }
                    return ending
                }
                let now = ContinuousClock.now
                if ending.completionTokens == 0 {
                    ending.timeToFirstToken = now - started
                    perModel.timeToFirstToken.record(now - started)
                } else {
                    perModel.interTokenLatency.record(now - last)
                }
                last = now
                if let cached = token.cachedPromptTokens { ending.cachedPromptTokens = cached }
                ending.completionTokens += 1
                perModel.generationTokens.increment()
                perKey.generationTokens.increment()
                pendingTokens.append(token)
                let piece = (try? detokenizer.feed(token.token)) ?? ""
                switch stops.feed(piece) {
                case .text(let text):
                    if !text.isEmpty || plan.logprobAlternatives != nil {
                        try await emit(text, pendingTokens)
                        pendingTokens.removeAll()
                    }
                case .stopped(let text):
                    try await emit(text, pendingTokens)
                    end { $0.finishReason = "stop" }
                    return ending
                }
            case .finished(let finish):
                ending.queueTime = finish.queueTime
                ending.cachedPromptTokens = finish.cachedPromptTokens
                switch finish.reason {
                case .stop, .length:
                    try await flush()
                    ending.finishReason = finish.reason == .stop ? "stop" : "length"
                case .cancelled: ending.clientGone = true
                case .error(let error): ending.error = GatewayError(error)
                }
                return ending
            }
        }
        if ending.finishReason == nil && ending.error == nil && !ending.clientGone { ending.clientGone = true }
        return ending
    }
}
