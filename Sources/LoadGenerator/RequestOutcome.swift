/// Why a request failed. Failed requests count in the success rate and stay out of the latency figures.
public enum FailureKind: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The server answered with this non-200 status.
    case status(Int)
    /// No complete answer within `--timeout`.
    case timeout
    /// The connection could not be made, or closed before an answer started.
    case connection
    /// The stream ended (or broke) before `data: [DONE]`.
    case streamCut
    /// The stream carried an `{"error": …}` event.
    case streamError

    /// The stable label used in reports: `http_503`, `timeout`, `connection`, `stream_cut`, `stream_error`.
    public var description: String {
        switch self {
        case .status(let code): return "http_\(code)"
        case .timeout: return "timeout"
        case .connection: return "connection"
        case .streamCut: return "stream_cut"
        case .streamError: return "stream_error"
        }
    }
}

/// What happened to one request; times in nanoseconds since the start of the run.
struct RequestOutcome: Sendable {
    /// When the request was due (open loop: its place in the schedule; closed loop: when its client was free).
    var scheduled: Int64
    /// When it was handed to the HTTP client.
    var sent: Int64
    /// When the first chunk with text arrived.
    var firstToken: Int64?
    /// When the last byte arrived (or the failure happened).
    var end: Int64
    /// Output tokens: `usage.completion_tokens` when the server reported it, else text-carrying chunks.
    var outputTokens: Int
    /// Gaps between consecutive text-carrying chunks.
    var gaps: [Int64]
    /// Why it failed, or nil.
    var failure: FailureKind?
    /// `usage.prompt_tokens` when the server reported it.
    var reportedPromptTokens: Int? = nil
    /// `usage.prompt_tokens_details.cached_tokens` when the server reported it.
    var cachedTokens: Int? = nil
}
