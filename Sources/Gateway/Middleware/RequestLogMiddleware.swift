import Hummingbird
import Logging

/// Starts each request's `RequestRecord` and, when the answer goes out, writes its log line and counts the request
/// in the metrics (`batchgate_requests_total` by model and status) — unless a completion took the line over to
/// write it when its stream ends.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let metrics: GatewayMetrics
    let logger: Logger
    /// Where finished requests are recorded for usage accounting.
    var cluster: ClusterState?

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let record = RequestRecord(
            id: context.requestID, path: request.uri.path, started: ContinuousClock.now
        ) { [metrics, logger] line in
            if let model = line.model { metrics.request(model: model, status: line.status) }
            logger.info("request", metadata: line.metadata)
            cluster?.record(line)
        }
        context.record = record
        let response = try await next(request, context)
        record.writeUnlessHandedOver(status: Int(response.status.code))
        return response
    }
}
