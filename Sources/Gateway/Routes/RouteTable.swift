import HTTPTypes
import Hummingbird

/// The routes as they are added, path by path: the error middleware answers a known path asked with another method
/// with 405 naming the method it takes.
struct RouteTable {
    /// The method each path takes.
    private(set) var methods: [String: HTTPRequest.Method] = [:]

    /// Adds `path` with `method` to `collection`, answered by `handler`.
    mutating func add(
        _ path: String, _ method: HTTPRequest.Method, to collection: RouteCollection<GatewayRequestContext>,
        use handler: @escaping @Sendable (Request, GatewayRequestContext) async throws -> Response
    ) {
        collection.on(RouterPath(path), method: method, use: handler)
        methods[path] = method
    }
}
