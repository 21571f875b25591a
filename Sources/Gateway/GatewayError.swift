import BatchgateConfig
import HTTPTypes
import Scheduler

/// Why the gateway refused a request; each code maps to one HTTP status, one OpenAI error `type` and one stable
/// snake_case label used in the error body's `code` and in metrics.
public struct GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of refusal.
    public enum Code: String, Sendable, CaseIterable {
        /// The body is not valid JSON, or not valid UTF-8 (400).
        case invalidJSON = "invalid_json"
        /// A field is missing, of the wrong type or out of range (400).
        case invalidRequest = "invalid_request"
        /// Prompt plus token limit exceed the model's context (400).
        case contextLengthExceeded = "context_length_exceeded"
        /// No `Authorization: Bearer` header (401).
        case missingAPIKey = "missing_api_key"
        /// The key is unknown or expired (401).
        case invalidAPIKey = "invalid_api_key"
        /// The key may not use this model (403).
        case modelNotAllowed = "model_not_allowed"
        /// The key is valid but not an admin key, on an operator endpoint (403).
        case adminRequired = "admin_required"
        /// No such model (404).
        case modelNotFound = "model_not_found"
        /// No such route (404).
        case routeNotFound = "route_not_found"
        /// The method is not allowed on this route (405).
        case methodNotAllowed = "method_not_allowed"
        /// The request is not valid HTTP: a malformed head, framing or chunk encoding, a body shorter or longer than
        /// its declared length (400).
        case invalidHTTP = "invalid_http"
        /// The request line and headers are larger than `listener.max_header_bytes`, or have more fields than
        /// `listener.max_header_count` (431).
        case headersTooLarge = "headers_too_large"
        /// The body did not arrive within `listener.body_timeout`, or slower than
        /// `listener.min_body_bytes_per_second` (408).
        case bodyTimeout = "body_timeout"
        /// The body is larger than `listener.max_body_bytes` (413).
        case bodyTooLarge = "body_too_large"
        /// The client went away before its answer was written (499, logged and counted; nobody reads the body).
        case clientGone = "client_gone"
        /// A quota of the key is exhausted (429); the quota issue refines the code.
        case rateLimited = "rate_limit_exceeded"
        /// The model's queue is full or the request waited too long (503).
        case overloaded = "overloaded"
        /// The model has no live worker (503).
        case modelUnavailable = "model_unavailable"
        /// The gateway is shutting down (503).
        case shuttingDown = "shutting_down"
        /// The request took longer than `listener.request_timeout` (504).
        case requestTimeout = "request_timeout"
        /// A bug or a worker failure (500).
        case internalError = "internal_error"
    }

    /// The kind of refusal.
    public var code: Code
    /// What is wrong, in words a client can act on.
    public var message: String
    /// The request field at fault, as OpenAI's `param`.
    public var param: String?
    /// `key` when it is an admin key (`keys[].admin: true`); a 403 `admin_required` naming `what` otherwise. Every
    /// operator endpoint checks its key here.
    @discardableResult
    static func requireAdmin(
        _ key: BatchgateConfiguration.APIKey, for what: String
    ) throws(GatewayError) -> BatchgateConfiguration.APIKey {
        guard key.admin else {
            throw GatewayError(
                .adminRequired, "\(what) are for admin keys (keys[].admin: true); '\(key.name)' is not one")
        }
        return key
    }

    /// When a retry is likely to succeed (sent as `Retry-After`).
    public var retryAfter: Duration?
    /// Headers the answer carries besides `Retry-After` (the quota's `x-ratelimit-*`, `x-should-retry`).
    public var headers: HTTPFields = [:]
    /// The label sent as the error body's `code` when it differs from the code's own (a quota's kind, a scheduler
    /// refusal's label).
    public var label: String?

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, param: String? = nil, retryAfter: Duration? = nil, label: String? = nil
    ) {
        self.code = code
        self.message = message
        self.param = param
        self.retryAfter = retryAfter
        self.label = label
    }

    /// The HTTP status.
    public var status: HTTPResponse.Status {
        switch code {
        case .invalidJSON, .invalidRequest, .contextLengthExceeded, .invalidHTTP: .badRequest
        case .missingAPIKey, .invalidAPIKey: .unauthorized
        case .modelNotAllowed, .adminRequired: .forbidden
        case .modelNotFound, .routeNotFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .bodyTimeout: .requestTimeout
        case .bodyTooLarge: .contentTooLarge
        case .headersTooLarge: .requestHeaderFieldsTooLarge
        case .clientGone: HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")
        case .rateLimited: .tooManyRequests
        case .overloaded, .modelUnavailable, .shuttingDown: .serviceUnavailable
        case .requestTimeout: .gatewayTimeout
        case .internalError: .internalServerError
        }
    }

    /// OpenAI's error `type` for the status.
    public var type: String {
        switch code {
        case .invalidJSON, .invalidRequest, .contextLengthExceeded, .bodyTooLarge, .methodNotAllowed, .invalidHTTP,
            .headersTooLarge,
            .clientGone:
            "invalid_request_error"
        case .missingAPIKey, .invalidAPIKey: "authentication_error"
        case .modelNotAllowed, .adminRequired: "permission_error"
        case .modelNotFound, .routeNotFound: "not_found_error"
        case .rateLimited: "rate_limit_exceeded"
        case .overloaded, .modelUnavailable, .shuttingDown: "service_unavailable_error"
        case .requestTimeout, .bodyTimeout: "timeout_error"
        case .internalError: "server_error"
        }
    }

    /// The error body's `code`.
    public var codeLabel: String { label ?? code.rawValue }

    /// `code: message`.
    public var description: String { "\(codeLabel): \(message)" }

    /// The gateway's answer to a scheduler refusal.
    public init(_ error: SchedulerError) {
        switch error.code {
        case .queueFull, .queueTimeout, .overloaded:
            self.init(.overloaded, error.detail, retryAfter: error.retryAfter, label: error.label)
        case .modelUnavailable:
            self.init(.modelUnavailable, error.detail, retryAfter: error.retryAfter ?? .seconds(5))
        case .shuttingDown: self.init(.shuttingDown, error.detail, retryAfter: .seconds(5))
        case .contextLengthExceeded: self.init(.contextLengthExceeded, error.detail, param: "max_tokens")
        case .invalidRequest: self.init(.invalidRequest, error.detail)
        case .sequenceFailed, .workerFailed: self.init(.internalError, error.detail, label: error.label)
        case .requestTimeout: self.init(.requestTimeout, error.detail)
        }
    }
}
