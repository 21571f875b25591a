/// Why the scheduler refused or ended a request.
///
/// Each code maps to one HTTP status and one stable snake_case label (`label`) that the gateway uses in
/// its error bodies and metrics.
public struct SchedulerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Code: String, Sendable, CaseIterable {
        /// The model's waiting queue is full (503).
        case queueFull = "queue_full"
        /// The request waited longer than the model's `queue_timeout` (503).
        case queueTimeout = "queue_timeout"
        /// At the measured drain rate the request would wait longer than the model's `queue_timeout`: refused at
        /// once rather than failed later (503).
        case overloaded = "overloaded"
        /// The model has had no live worker for longer than its grace period (503).
        case modelUnavailable = "model_unavailable"
        /// The prompt plus its token limit cannot fit the model's context or one worker's KV cache (400).
        case contextLengthExceeded = "context_length_exceeded"
        /// The request itself is malformed: no prompt tokens, a token limit of 0 (400).
        case invalidRequest = "invalid_request"
        /// The worker refused the sequence (an invalid token id, an engine failure) (500 unless the detail says
        /// otherwise).
        case sequenceFailed = "sequence_failed"
        /// The scheduler is shutting down and takes no new requests (503).
        case shuttingDown = "shutting_down"
        /// The request ran past its `GenerationRequest.timeout`, waiting or running (504).
        case requestTimeout = "request_timeout"
        /// The sequence was in the batch of two worker deaths in a row: it is failed rather than retried, so that
        /// it cannot take the model down (500).
        case workerFailed = "worker_failed"
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, in words a client can act on.
    public var detail: String
    /// For overload codes: when a retry is likely to be admitted.
    public var retryAfter: Duration?

    /// Creates an error.
    public init(_ code: Code, _ detail: String, retryAfter: Duration? = nil) {
        self.code = code
        self.detail = detail
        self.retryAfter = retryAfter
    }

    /// The stable snake_case label of the code.
    public var label: String { code.rawValue }

    /// The HTTP status this error answers with.
    public var httpStatus: Int {
        switch code {
        case .queueFull, .queueTimeout, .overloaded, .modelUnavailable, .shuttingDown: 503
        case .contextLengthExceeded, .invalidRequest: 400
        case .sequenceFailed, .workerFailed: 500
        case .requestTimeout: 504
        }
    }

    /// `code: detail`.
    public var description: String { "\(code.rawValue): \(detail)" }
}
