import HTTPTypes
import Hummingbird

/// Starts each request's trace (`RequestTrace`) under the caller's `traceparent`, answers with the `traceparent` of
/// the request's own span, and ends the trace once the response body is written (for a stream, when it ends).
/// Installed only when tracing is on; it sits inside the error middleware's caller, so it sees every answer's status.
struct TracingMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let tracing: RequestTracing

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let trace = tracing.startRequest(name: "\(request.method) \(request.uri.path)", headers: request.headers)
        trace.annotate { attributes in
            attributes["http.request.method"] = request.method.rawValue
            attributes["url.path"] = request.uri.path
            attributes["batchgate.request_id"] = context.requestID
        }
        context.trace = trace
        let traceID = trace.traceID
        context.record?.update { $0.traceID = traceID }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            trace.end()
            throw error
        }
        trace.injectHeaders(into: &response.headers)
        let status = Int(response.status.code)
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer { trace.end(status: status) }
            try await body.write(writer)
        }
        return response
    }
}
