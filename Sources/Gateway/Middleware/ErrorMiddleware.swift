import HTTPTypes
import Hummingbird
import Logging

/// Turns every failure into an OpenAI-shaped answer: a `GatewayError` into its status and body (closing an HTTP/1.1
/// connection whose body it refuses to read), a path the router does not know into 404 and a known path asked with
/// another method into 405, and anything else into a 500 that names the request.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    /// The method each route takes.
    let routes: [String: HTTPRequest.Method]
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as GatewayError {
            return answer(error, context: context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            guard let method = routes[path] else {
                return answer(GatewayError(.routeNotFound, "no route \(request.method) \(path)"), context: context)
            }
            return answer(GatewayHandlers.wrongMethod(path, method), context: context)
        } catch {
            logger.error("unexpected error: \(error)", metadata: ["request_id": "\(context.requestID)"])
            return GatewayHandlers.errorResponse(
                GatewayError(.internalError, "internal error (request \(context.requestID))"))
        }
    }

    /// The answer to `error`, noted in the request's log line.
    func answer(_ error: GatewayError, context: Context) -> Response {
        context.record?.update { $0.error = error.codeLabel }
        // Refuse the rest of an oversized, stalled or malformed body rather than read it to the end (HTTP/1.1;
        // under HTTP/2 the stream is answered and its remaining DATA frames are discarded as they arrive).
        let closes = [.bodyTooLarge, .bodyTimeout, .invalidHTTP].contains(error.code)
        return closes && context.channelWasActive && context.channel.parent == nil
            ? GatewayHandlers.errorResponseClosing(error, channel: context.channel)
            : GatewayHandlers.errorResponse(error)
    }
}
