import AsyncHTTPClient
import Basics
import NIOCore
import NIOHTTP1

/// Times a streamed answer on the event loop itself, as its bytes arrive (no hop to a task per chunk, so the
/// timestamps carry no scheduling delay of the generator), and scans it for text chunks, usage and `[DONE]`.
///
/// `@unchecked Sendable`: async-http-client calls every method of one request's delegate on that request's event
/// loop, one call at a time, and the owner reads `headReceived` only after the request's future has completed.
final class StreamTimingDelegate: HTTPClientResponseDelegate, @unchecked Sendable {
    /// What the stream said, with times in nanoseconds since the start of the run.
    struct Result: Sendable {
        var status = 0
        var firstToken: Int64?
        var lastText: Int64 = 0
        var end: Int64 = 0
        var gaps: [Int64] = []
        var chunks = 0
        var usageTokens: Int?
        /// The usage chunk's `prompt_tokens` and `prompt_tokens_details.cached_tokens`, when reported.
        var usagePromptTokens: Int?
        var cachedTokens: Int?
        /// The answer's text, when the delegate was asked to keep it.
        var text = ""
        var done = false
        var streamError = false
    }

    private let origin: ContinuousClock.Instant
    private var scanner = SSEScanner()
    private var result = Result()
    private(set) var headReceived = false

    init(origin: ContinuousClock.Instant, expectedTokens: Int, capturesText: Bool = false) {
        self.origin = origin
        result.gaps.reserveCapacity(expectedTokens)
        scanner.capturesText = capturesText
    }

    private func now() -> Int64 { (ContinuousClock.now - origin).inNanoseconds }

    func didReceiveHead(task: HTTPClient.Task<Result>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        headReceived = true
        result.status = Int(head.status.code)
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Result>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        guard result.status == 200 else { return task.eventLoop.makeSucceededVoidFuture() }
        let at = now()
        for event in scanner.feed(buffer.readableBytesView) {
            switch event {
            case .text:
                if result.firstToken == nil { result.firstToken = at } else { result.gaps.append(at - result.lastText) }
                result.lastText = at
                result.chunks += 1
            case .other(let completionTokens):
                if let completionTokens { result.usageTokens = completionTokens }
            case .done:
                result.done = true
            case .error:
                result.streamError = true
            }
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Result>) throws -> Result {
        result.end = now()
        result.usagePromptTokens = scanner.promptTokens
        result.cachedTokens = scanner.cachedTokens
        result.text = scanner.text
        return result
    }
}
