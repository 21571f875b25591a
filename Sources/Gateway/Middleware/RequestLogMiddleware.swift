import Foundation
import Hummingbird
import Logging

/// Starts each request's `RequestRecord` and, when the answer goes out, writes its log line, counts the request in
/// the metrics (`batchgate_requests_total` by model and status, `batchgate_key_requests_total` by key) and adds it
/// to the dashboard's last requests — unless a completion took the line over to write it when its stream ends.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let metrics: GatewayMetrics
    let logger: Logger
    /// The dashboard's list of recent requests is fed here too.
    var dashboard: Dashboard?
    /// Where finished requests are recorded for usage accounting.
    var cluster: ClusterState?

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let record = RequestRecord(
            id: context.requestID, path: request.uri.path, started: ContinuousClock.now
        ) { [metrics, logger, dashboard, cluster] line in
            // A request a peer answered is counted and recorded there.
            if let model = line.model, line.answeredBy == nil {
                metrics.request(model: model, status: line.status, key: line.key)
            }
            dashboard?.recent.add(line, ended: Date().timeIntervalSince1970)
            logger.info("request", metadata: line.metadata)
            cluster?.record(line)
        }
        context.record = record
        let response = try await next(request, context)
        record.writeUnlessHandedOver(status: Int(response.status.code))
        return response
    }
}
