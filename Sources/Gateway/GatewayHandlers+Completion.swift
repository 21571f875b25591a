import BatchgateConfig
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenAIAPI
import Scheduler
import Synchronization

extension GatewayHandlers {
    /// How many SSE events may wait for a slow client before it is cut off and its sequence released.
    static let streamBacklog = 256

    /// The client read too slowly; its stream is cut off.
    struct SlowClient: Error {}

    /// Admits `plan` (quota, then the scheduler) and answers with one JSON object or an SSE stream.
    func complete(
        _ plan: GenerationPlan, model: ServedModel, key: BatchgateConfiguration.APIKey, context: GatewayRequestContext,
        record: RequestRecord
    ) async throws -> Response {
        let started = record.started
        let lease = try state.quotas.admit(key: key, model: model.name, promptTokens: plan.request.promptTokens.count)
        let stream: GenerationStream
        do {
            // The scheduler enforces the request timeout too, so that a request that gets no tokens (its worker
            // restarting) still ends on time and frees its slot.
            var request = plan.request
            request.timeout = state.listener.requestTimeout - (ContinuousClock.now - started)
            stream = try model.scheduler.submit(request)
        } catch {
            lease.release()
            throw GatewayError(error)
        }
        if context.channelWasActive {
            // A client that leaves while no token comes (queued, or its worker restarting) is noticed at once, not at
            // the next token: its request leaves the queue or is released, and its stream ends, returning the slot.
            context.channel.closeFuture.whenComplete { [scheduler = model.scheduler] _ in scheduler.cancel(stream.id) }
        }
        state.metrics.admitted(model: model.name, key: key.name, promptTokens: plan.request.promptTokens.count)
        let run = GenerationRun(
            model: model, plan: plan, lease: lease, metrics: state.metrics, isConnected: context.isConnected,
            deadline: started + state.listener.requestTimeout, logger: state.logger)
        let builder = ResponseBuilder(
            id: (plan.kind == .chat ? "chatcmpl-" : "cmpl-") + context.requestID,
            created: Int(Date().timeIntervalSince1970),
            plan: plan, model: model)
        var headers = state.quotas.headers(key: key, model: model.name)
        guard plan.stream else {
            defer { lease.release() }
            var text = ""
            var tokens: [GeneratedToken] = []
            let ending = try await run.run(stream, id: stream.id, started: started) { piece, pieceTokens in
                text += piece
                tokens += pieceTokens
            }
            if let error = ending.error { throw error }
            if ending.clientGone { throw GatewayError(.clientGone, "the client went away") }
            state.metrics.model(model.name).endToEnd.record(ContinuousClock.now - started)
            var response = Self.json(builder.whole(text: text, tokens: tokens, ending: ending))
            response.headers.append(contentsOf: headers)
            record.write { log in  // with the token counts
                log.queueTime = ending.queueTime
                log.timeToFirstToken = ending.timeToFirstToken
                log.completionTokens = ending.completionTokens
                log.cachedTokens = ending.cachedPromptTokens
                log.chargedTokens = lease.chargedTokens
            }
            return response
        }
        // The head waits for the scheduler's first event: a request refused while it waited in the queue (queue
        // timeout, no live worker) is answered with its status and error body, as a non-streamed one is; only an
        // error after the first token goes out as an SSE error event.
        let generation: PrefetchedEvents
        do {
            generation = try await run.firstEvent(of: stream)
        } catch {
            lease.release()
            throw error
        }
        record.handOver()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        // Should the body never be written (the client left before the head went out), dropping it still returns
        // the quota slot and releases the sequence.
        let hold = StreamHold(lease: lease) { [scheduler = model.scheduler] in scheduler.cancel(stream.id) }
        let body = ResponseBody { writer in
            defer {
                hold.end()
                record.write { $0.chargedTokens = lease.chargedTokens }
            }
            let backlog = StreamBacklog()
            var ending = try await withThrowingTaskGroup(of: GenerationRun.Ending.self) { group in
                let (events, output) = AsyncStream.makeStream(of: StreamEvent.self)
                group.addTask {
                    defer { output.finish() }
                    return try await produceEvents(
                        run: run, events: generation, builder: builder, output: output, backlog: backlog,
                        started: started)
                }
                do {
                    for await event in events {
                        try await writer.write(event.buffer)
                        backlog.written(event)
                    }
                    try await writer.finish(nil)
                } catch {
                    // The client is gone: stop generating for it.
                    group.cancelAll()
                }
                return try await group.next() ?? GenerationRun.Ending(promptTokens: plan.request.promptTokens.count)
            }
            // A client cut off for reading too slowly got the tokens written before its error event.
            if ending.error?.codeLabel == "slow_client" { ending.completionTokens = backlog.deliveredTokens }
            record.update { [ending] log in
                log.queueTime = ending.queueTime
                log.timeToFirstToken = ending.timeToFirstToken
                log.completionTokens = ending.completionTokens
                log.cachedTokens = ending.cachedPromptTokens
                if ending.clientGone {
                    log.status = 499
                    log.error = "client_gone"
                } else if let error = ending.error {
                    log.status = Int(error.status.code)
                    log.error = error.codeLabel
                }
            }
            if !ending.clientGone && ending.error == nil {
                state.metrics.model(model.name).endToEnd.record(ContinuousClock.now - started)
            }
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// What a streamed response holds until it ends: its quota lease and its sequence. `end()` (or, if the body is
    /// never written, deinit) returns both exactly once.
    final class StreamHold: Sendable {
        let lease: any QuotaLease
        let cancel: @Sendable () -> Void

        init(lease: any QuotaLease, cancel: @escaping @Sendable () -> Void) {
            self.lease = lease
            self.cancel = cancel
        }

        func end() {
            lease.release()
            cancel()
        }

        deinit { end() }
    }

    /// Runs the generation and turns it into SSE events on `output`; a client that falls `streamBacklog` events
    /// behind is cut off: its sequence is released, and an error event (`slow_client`) and `[DONE]` follow the events
    /// it has not read yet, so it learns why its stream ended.
    func produceEvents(
        run: GenerationRun, events: PrefetchedEvents, builder: ResponseBuilder,
        output: AsyncStream<StreamEvent>.Continuation, backlog: StreamBacklog, started: ContinuousClock.Instant
    ) async throws -> GenerationRun.Ending {
        func send(_ buffer: ByteBuffer, tokens: Int = 0) throws(SlowClient) {
            guard backlog.enter() else { throw SlowClient() }
            output.yield(StreamEvent(buffer: buffer, tokens: tokens))
        }
        var offset = 0
        var ending: GenerationRun.Ending
        // A request that offers tools has its text read for calls, which stream as tool-call deltas.
        var toolReader = builder.plan.toolCalling.map { ToolCallStream(mode: $0.mode, parallel: $0.parallel) }
        var heldTokens = 0
        func sendTools(_ outputs: [ToolCallStream.Output], tokens: [GeneratedToken]) throws(SlowClient) {
            heldTokens += tokens.count
            for chunk in builder.toolChunks(outputs, tokens: tokens) {
                try send(ServerSentEvent.data(chunk), tokens: heldTokens)
                heldTokens = 0
            }
        }
        do {
            if builder.plan.kind == .chat { try send(ServerSentEvent.data(builder.roleChunk())) }
            ending = try await run.run(events, id: events.id, started: started) { text, tokens in
                if toolReader != nil {
                    try sendTools(toolReader!.feed(text), tokens: tokens)
                    return
                }
                try send(
                    ServerSentEvent.data(builder.chunk(text: text, tokens: tokens, offset: offset)),
                    tokens: tokens.count)
                offset += text.utf8.count
            }
            if toolReader != nil, ending.finishReason != nil { try sendTools(toolReader!.finish(), tokens: []) }
        } catch is SlowClient {
            run.model.scheduler.cancel(events.id)
            state.logger.notice(
                "client read its stream too slowly; cut off and its sequence released",
                metadata: ["model": "\(run.model.name)"])
            var cut = GenerationRun.Ending(promptTokens: builder.plan.request.promptTokens.count)
            cut.error = GatewayError(
                .requestTimeout, "the client did not read its stream fast enough", label: "slow_client")
            // Past the bound on purpose: these two end the stream, and nothing follows them.
            if let error = cut.error {
                output.yield(StreamEvent(buffer: ServerSentEvent.data(ErrorBody(error)), tokens: 0))
                output.yield(StreamEvent(buffer: ServerSentEvent.done, tokens: 0))
            }
            return cut
        }
        if var reason = ending.finishReason {
            if reason == "stop", let toolReader, toolReader.calls > 0 { reason = "tool_calls" }
            try? send(ServerSentEvent.data(builder.finishChunk(reason)))
            if builder.plan.includeUsage { try? send(ServerSentEvent.data(builder.usageChunk(ending))) }
            try? send(ServerSentEvent.done)
        } else if let error = ending.error {
            try? send(ServerSentEvent.data(ErrorBody(error)))
            try? send(ServerSentEvent.done)
        }
        return ending
    }
}

/// One SSE event on its way to the client, with the completion tokens it carries.
struct StreamEvent: Sendable {
    let buffer: ByteBuffer
    let tokens: Int
}

/// The events of one stream that are produced but not yet written to the client (at most
/// `GatewayHandlers.streamBacklog`), and the completion tokens written so far.
final class StreamBacklog: Sendable {
    private let pending = Atomic(0)
    private let delivered = Atomic(0)

    /// Takes a place for one more event; false when the client is `streamBacklog` events behind.
    func enter() -> Bool {
        guard pending.load(ordering: .relaxed) < GatewayHandlers.streamBacklog else { return false }
        pending.add(1, ordering: .relaxed)
        return true
    }

    /// `event` was written to the client.
    func written(_ event: StreamEvent) {
        pending.subtract(1, ordering: .relaxed)
        delivered.add(event.tokens, ordering: .relaxed)
    }

    /// The completion tokens of the events written to the client.
    var deliveredTokens: Int { delivered.load(ordering: .relaxed) }
}
