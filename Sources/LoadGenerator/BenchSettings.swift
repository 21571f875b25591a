/// How load is offered.
public enum LoadShape: Sendable, Equatable {
    /// Open loop: requests are due at `rate` per second, evenly spaced or (`poisson`) with exponential gaps,
    /// whether or not earlier ones have finished.
    case rate(Double, poisson: Bool)
    /// Closed loop: `concurrency` clients, each sending its next request when its previous one ends.
    case concurrency(Int)
}

/// The OpenAI endpoint the requests go to.
public enum BenchEndpoint: String, Sendable, CaseIterable {
    /// `POST /v1/completions` with a `prompt`.
    case completions
    /// `POST /v1/chat/completions` with `messages`.
    case chat

    /// The request path.
    public var path: String { self == .chat ? "/v1/chat/completions" : "/v1/completions" }
}

/// Everything one run needs: target, load, stop condition, request shape.
public struct BenchSettings: Sendable {
    /// The server's base URL (`http://127.0.0.1:8080`); paths are appended to it.
    public var baseURL: String
    /// The endpoint.
    public var endpoint: BenchEndpoint = .completions
    /// The model name sent in each request.
    public var model: String
    /// Sent as `Authorization: Bearer KEY` when set.
    public var apiKey: String?
    /// Accept any TLS certificate (self-signed servers).
    public var insecure = false
    /// The load.
    public var shape: LoadShape = .concurrency(1)
    /// Stop sending after this long (requests in flight then finish).
    public var duration: Duration?
    /// Stop after sending this many requests.
    public var requests: Int?
    /// Keep sending past `duration` until this many requests were sent (a sweep step's minimum), but never past
    /// `longestDuration`.
    public var minimumRequests = 0
    /// How far `minimumRequests` may stretch the run past `duration`; without it the minimum is not applied.
    public var longestDuration: Duration?
    /// Longest a request may take, from its send to its last byte; longer ones count as `timeout` errors.
    public var timeout: Duration = .seconds(60)
    /// Most requests in flight at once in open loop; a request due while this many are in flight waits, and the
    /// wait counts in its corrected latency.
    public var maxInFlight = 1024
    /// Objectives: they decide goodput and, in a sweep, whether a rate passes.
    public var serviceLevels: [ServiceLevel] = []
    /// Print the live progress line to standard error.
    public var progress = false
    /// Multi-turn conversations instead of single requests: each client (closed loop) or each arrival (open loop)
    /// is a conversation of this many turns, each resending the history and the previous answer.
    public var conversation: Conversation?

    /// Creates settings for `baseURL` and `model`; the rest keep their defaults.
    public init(baseURL: String, model: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.model = model
    }
}

/// The shape of the multi-turn workload.
public struct Conversation: Sendable, Equatable {
    /// Requests per conversation (at least 2).
    public var turns: Int
    /// Pause between an answer's end and the next turn (not counted in any latency).
    public var thinkTime: Duration

    /// A conversation of `turns` turns with `thinkTime` between them.
    public init(turns: Int, thinkTime: Duration = .zero) {
        self.turns = turns
        self.thinkTime = thinkTime
    }
}
