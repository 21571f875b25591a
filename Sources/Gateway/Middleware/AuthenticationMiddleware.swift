import Hummingbird

/// Lets through only requests with a valid API key (`Authorization: Bearer …`), and hands the key to the handlers
/// and the request's log line.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let keys: APIKeyStore

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let key = try keys.authenticate(authorization: request.headers[.authorization])
        context.record?.update { $0.key = key.name }
        var context = context
        context.key = key
        return try await next(request, context)
    }
}
