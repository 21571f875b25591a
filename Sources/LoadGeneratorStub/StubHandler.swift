import Basics
import Foundation
import NIOCore
import NIOHTTP1

/// Routes one connection's requests: streamed completions on the stub's timing, `/tokenize`, `/v1/models`.
final class StubHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let gate: StubGate
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// When the current request's head arrived: the stub's timing counts from here.
    private var arrival = NIODeadline.now()

    init(gate: StubGate) {
        self.gate = gate
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            arrival = .now()
            self.head = head
            body = nil
        case .body(var part):
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            guard let head else { return }
            let json = body.flatMap { try? JSONSerialization.jsonObject(with: Data($0.readableBytesView)) }
            route(context: context, head: head, json: json as? [String: Any] ?? [:])
            self.head = nil
            body = nil
        }
    }

    private func route(context: ChannelHandlerContext, head: HTTPRequestHead, json: [String: Any]) {
        let path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
        switch (head.method, path) {
        case (.POST, "/v1/completions"), (.POST, "/v1/chat/completions"):
            stream(context: context, json: json, chat: path.hasSuffix("chat/completions"))
        case (.POST, "/tokenize"):
            let text = (json["prompt"] ?? json["content"]) as? String ?? ""
            let count = Self.wordCount(text)
            respond(
                context: context, status: .ok,
                body: #"{"tokens":[\#((0..<count).map { _ in "7" }.joined(separator: ","))]}"#)
        case (.GET, "/v1/models"):
            respond(context: context, status: .ok, body: #"{"object":"list","data":[{"id":"stub","object":"model"}]}"#)
        default:
            respond(context: context, status: .notFound, body: #"{"error":{"message":"not found"}}"#)
        }
    }

    /// Whitespace-separated words: the stub's token count.
    static func wordCount(_ text: String) -> Int {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).count
    }

    private func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, body: String) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.utf8.count))
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func stream(context: ChannelHandlerContext, json: [String: Any], chat: Bool) {
        let tokens = max(1, json["max_tokens"] as? Int ?? gate.behaviour.defaultMaxTokens)
        let usage = (json["stream_options"] as? [String: Any])?["include_usage"] as? Bool ?? false
        let promptTokens: Int
        if let prompt = json["prompt"] as? String {
            promptTokens = Self.wordCount(prompt)
        } else {
            let messages = json["messages"] as? [[String: Any]] ?? []
            promptTokens = messages.reduce(0) { $0 + Self.wordCount($1["content"] as? String ?? "") }
        }
        let frames = StubFrames(chat: chat, tokens: tokens, promptTokens: promptTokens, usage: usage)
        let loop = context.eventLoop
        let bound = NIOLoopBound(context, eventLoop: loop)
        let gate = self.gate
        let behaviour = gate.behaviour
        let arrival = self.arrival
        gate.admit { queued in
            loop.execute {
                let context = bound.value
                var headers = HTTPHeaders()
                headers.add(name: "content-type", value: "text/event-stream")
                headers.add(name: "cache-control", value: "no-cache")
                context.writeAndFlush(
                    NIOAny(
                        HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                    promise: nil)
                // Counted from the request's arrival, or from when its slot freed up when it had to wait.
                let start = queued ? NIODeadline.now() : arrival
                let first = start + .nanoseconds(behaviour.firstToken.inNanoseconds)
                Self.emit(bound: bound, frames: frames, index: 0, first: first, gate: gate)
            }
        }
    }

    /// Writes token `index` at its due time (moved past a stall), then schedules the next; after the last token the
    /// closing frames, the end of the response, and the release of the capacity slot.
    private static func emit(
        bound: NIOLoopBound<ChannelHandlerContext>, frames: StubFrames, index: Int, first: NIODeadline, gate: StubGate
    ) {
        let context = bound.value
        let due = gate.adjusted(first + .nanoseconds(gate.behaviour.interToken.inNanoseconds * Int64(index)))
        context.eventLoop.scheduleTask(deadline: due) {
            let context = bound.value
            let allocator = context.channel.allocator
            context.write(
                NIOAny(HTTPServerResponsePart.body(.byteBuffer(allocator.buffer(string: frames.token(index))))),
                promise: nil)
            if index + 1 < frames.tokens {
                context.flush()
                emit(bound: bound, frames: frames, index: index + 1, first: first, gate: gate)
            } else {
                context.write(
                    NIOAny(HTTPServerResponsePart.body(.byteBuffer(allocator.buffer(string: frames.closing())))),
                    promise: nil)
                if gate.behaviour.closeAfterStream {
                    // As llama-server does: the connection ends with the stream, without `Connection: close`.
                    context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
                        bound.value.close(promise: nil)
                    }
                } else {
                    context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
                }
                gate.release()
            }
        }
    }
}

/// The SSE frames of one streamed answer, OpenAI-shaped.
struct StubFrames: Sendable {
    let chat: Bool
    let tokens: Int
    let promptTokens: Int
    let usage: Bool

    func token(_ index: Int) -> String {
        chat
            ? #"data: {"id":"chatcmpl-stub","object":"chat.completion.chunk","model":"stub","choices":[{"index":0,"delta":{"content":" tok\#(index)"},"finish_reason":null}]}"#
                + "\n\n"
            : #"data: {"id":"cmpl-stub","object":"text_completion","model":"stub","choices":[{"index":0,"text":" tok\#(index)","finish_reason":null}]}"#
                + "\n\n"
    }

    func closing() -> String {
        var out =
            chat
            ? #"data: {"id":"chatcmpl-stub","object":"chat.completion.chunk","model":"stub","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#
                + "\n\n"
            : #"data: {"id":"cmpl-stub","object":"text_completion","model":"stub","choices":[{"index":0,"text":"","finish_reason":"length"}]}"#
                + "\n\n"
        if usage {
            out +=
                #"data: {"id":"stub","choices":[],"usage":{"prompt_tokens":\#(promptTokens),"completion_tokens":\#(tokens),"total_tokens":\#(promptTokens + tokens)}}"#
                + "\n\n"
        }
        return out + "data: [DONE]\n\n"
    }
}
