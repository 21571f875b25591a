import AsyncHTTPClient
import Basics
import Glibc
import NIOCore

/// Sends one streamed completion request and times its chunks.
struct StreamingRequest: Sendable {
    let client: HTTPClient
    let settings: BenchSettings
    let origin: ContinuousClock.Instant

    /// Nanoseconds since the start of the run.
    func now() -> Int64 { (ContinuousClock.now - origin).inNanoseconds }

    /// The HTTP request of `prepared`: built once per pooled request and reused for every send of it.
    func request(_ prepared: PreparedRequest) throws -> HTTPClient.Request {
        var headers: [(String, String)] = [("content-type", "application/json"), ("accept", "text/event-stream")]
        if let key = settings.apiKey { headers.append(("authorization", "Bearer \(key)")) }
        return try HTTPClient.Request(
            url: settings.baseURL + settings.endpoint.path, method: .POST, headers: .init(headers),
            body: .byteBuffer(prepared.body))
    }

    /// Sends `prepared` (whose HTTP request `request` was built by `request(_:)`), which was due at `scheduled`;
    /// never throws: failures are in the outcome.
    ///
    /// A server may close a keep-alive connection right after an answer without announcing it (llama-server does
    /// after every stream), so a request that goes out on that connection at that moment meets a closed connection
    /// before any byte of an answer. Such a request is sent once more, on another connection, as HTTP clients do;
    /// its latency still counts from its due time, and a second failure counts as a `connection` error.
    func run(_ prepared: PreparedRequest, request: HTTPClient.Request?, scheduled: Int64) async -> RequestOutcome {
        await run(prepared, request: request, scheduled: scheduled, capturesText: false).outcome
    }

    /// `run(_:request:scheduled:)`, also returning the answer's text when `capturesText` (else "").
    func run(
        _ prepared: PreparedRequest, request: HTTPClient.Request?, scheduled: Int64, capturesText: Bool
    ) async -> (outcome: RequestOutcome, text: String) {
        let sent = now()
        let deadline = NIODeadline.now() + .nanoseconds(settings.timeout.inNanoseconds)
        var outcome = RequestOutcome(
            scheduled: scheduled, sent: sent, firstToken: nil, end: sent, outputTokens: 0, gaps: [], failure: nil)
        for attempt in 1...2 {
            let delegate = StreamTimingDelegate(
                origin: origin, expectedTokens: prepared.maxTokens, capturesText: capturesText)
            do {
                let request = try request ?? self.request(prepared)
                let task = client.execute(request: request, delegate: delegate, deadline: deadline)
                let result = try await withTaskCancellationHandler {
                    try await task.futureResult.get()
                } onCancel: {
                    task.cancel()
                }
                outcome.end = result.end
                outcome.firstToken = result.firstToken
                outcome.gaps = result.gaps
                outcome.outputTokens = result.usageTokens ?? result.chunks
                outcome.reportedPromptTokens = result.usagePromptTokens
                outcome.cachedTokens = result.cachedTokens
                outcome.failure = nil
                if result.status != 200 {
                    outcome.failure = .status(result.status)
                } else if result.streamError {
                    outcome.failure = .streamError
                } else if !result.done {
                    outcome.failure = .streamCut
                }
                return (outcome, result.text)
            } catch {
                outcome.end = now()
                outcome.failure = Self.classify(error, headersReceived: delegate.headReceived)
                guard attempt == 1, !Task.isCancelled,
                    Self.metClosedConnection(error, headersReceived: delegate.headReceived)
                else { return (outcome, "") }
            }
        }
        return (outcome, "")
    }

    /// Whether `error` is a connection the server had closed before it sent any part of an answer: closed while
    /// the request was on its way, already closed when it was written, or reset.
    static func metClosedConnection(_ error: any Error, headersReceived: Bool) -> Bool {
        guard !headersReceived else { return false }
        if let error = error as? HTTPClientError { return error == .remoteConnectionClosed }
        if let error = error as? ChannelError { return error == .ioOnClosedChannel || error == .outputClosed }
        if let error = error as? IOError { return error.errnoCode == EPIPE || error.errnoCode == ECONNRESET }
        return false
    }

    /// Maps an HTTP client error to a failure kind.
    static func classify(_ error: any Error, headersReceived: Bool) -> FailureKind {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout: return .timeout
            default: break
            }
        }
        return headersReceived ? .streamCut : .connection
    }
}
