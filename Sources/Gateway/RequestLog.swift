import Basics
import Logging

/// What the gateway logs of one request, as one structured line when it ends: never the key itself, only its name.
struct RequestLog: Sendable {
    var id: String
    var path: String
    var key: String?
    var model: String?
    var status = 200
    var error: String?
    var promptTokens = 0
    /// Prompt tokens the worker took from its prefix cache.
    var cachedTokens = 0
    var completionTokens = 0
    /// Tokens charged to the key's quota (nil when none applies).
    var chargedTokens: Int?
    var queueTime: Duration?
    var timeToFirstToken: Duration?
    var total: Duration = .zero
    /// The request's trace id (32 hex digits) when tracing is on.
    var traceID: String?
    /// The peer node that answered the request (routing): that node counts and records it, this one only logs it.
    var answeredBy: String?
    /// Whether the line is written, or a completion took it over to write when it ends (a stream when it ends, not
    /// when its head is sent; a whole response with its token counts): `RequestRecord` writes it once.
    var written = false

    var metadata: Logger.Metadata {
        func seconds(_ duration: Duration?) -> Logger.MetadataValue {
            guard let duration else { return "-" }
            return "\(duration.inSeconds)"
        }
        var metadata: Logger.Metadata = [
            "request_id": "\(id)", "path": "\(path)", "key": "\(key ?? "-")", "model": "\(model ?? "-")",
            "status": "\(status)", "prompt_tokens": "\(promptTokens)", "completion_tokens": "\(completionTokens)",
            "cached_tokens": "\(cachedTokens)",
            "queue_s": seconds(queueTime), "ttft_s": seconds(timeToFirstToken), "total_s": seconds(total),
        ]
        if let error { metadata["error"] = "\(error)" }
        if let chargedTokens { metadata["charged_tokens"] = "\(chargedTokens)" }
        if let traceID { metadata["trace_id"] = "\(traceID)" }
        if let answeredBy { metadata["answered_by"] = "\(answeredBy)" }
        return metadata
    }
}
