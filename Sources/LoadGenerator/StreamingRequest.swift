import AsyncHTTPClient
import NIOCore

/// Sends one streamed completion request and times its chunks.
struct StreamingRequest: Sendable {
    let client: HTTPClient
    let settings: BenchSettings
    let origin: ContinuousClock.Instant

    /// Nanoseconds since the start of the run.
    func now() -> Int64 { (ContinuousClock.now - origin).nanoseconds }

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
    func run(_ prepared: PreparedRequest, request: HTTPClient.Request?, scheduled: Int64) async -> RequestOutcome {
        let delegate = StreamTimingDelegate(origin: origin, expectedTokens: prepared.maxTokens)
        let sent = now()
        var outcome = RequestOutcome(
            scheduled: scheduled, sent: sent, firstToken: nil, end: sent, outputTokens: 0, gaps: [], failure: nil)
        do {
            let request = try request ?? self.request(prepared)
            let task = client.execute(
                request: request, delegate: delegate, deadline: .now() + .nanoseconds(settings.timeout.nanoseconds))
            let result = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
            outcome.end = result.end
            outcome.firstToken = result.firstToken
            outcome.gaps = result.gaps
            outcome.outputTokens = result.usageTokens ?? result.chunks
            if result.status != 200 {
                outcome.failure = .status(result.status)
            } else if result.streamError {
                outcome.failure = .streamError
            } else if !result.done {
                outcome.failure = .streamCut
            }
        } catch {
            outcome.end = now()
            outcome.failure = Self.classify(error, headersReceived: delegate.headReceived)
        }
        return outcome
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
