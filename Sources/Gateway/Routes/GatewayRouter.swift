import HTTPTypes
import Hummingbird

/// The gateway's routes as Hummingbird `RouteCollection`s behind its middleware, outermost first: the request id,
/// the request's log line (and its count in the metrics), errors as OpenAI shapes them; the API routes add
/// authentication.
enum GatewayRouter {
    /// The responder for `state`.
    static func responder(state: GatewayState) -> RouterResponder<GatewayRequestContext> {
        let handlers = GatewayHandlers(state: state)
        var table = RouteTable()
        let authentication = AuthenticationMiddleware(keys: state.keys)
        var collections = [
            HealthRoutes.collection(handlers, table: &table),
            OpenAIRoutes.collection(handlers, authentication: authentication, table: &table),
            TokenizeRoutes.collection(handlers, authentication: authentication, table: &table),
            QuotaRoutes.collection(handlers, authentication: authentication, table: &table),
        ]
        if state.metricsSettings.enabled, state.registry != nil {
            let metrics = RouteCollection(context: GatewayRequestContext.self)
            table.add(state.metricsSettings.path, .get, to: metrics) { request, _ in try handlers.metrics(request) }
            collections.insert(metrics, at: 0)
        }
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: RequestLogMiddleware(metrics: state.metrics, logger: state.logger))
        router.add(middleware: ErrorMiddleware(routes: table.methods, logger: state.logger))
        for collection in collections { router.addRoutes(collection) }
        return router.buildResponder()
    }
}

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

/// `GET /health/live` and `GET /health/ready`, without a key.
enum HealthRoutes {
    static func collection(_ handlers: GatewayHandlers, table: inout RouteTable) -> RouteCollection<
        GatewayRequestContext
    > {
        let routes = RouteCollection(context: GatewayRequestContext.self)
        table.add("/health/live", .get, to: routes) { _, _ in try GatewayHandlers.json(encoding: ["status": "ok"]) }
        table.add("/health/ready", .get, to: routes) { _, _ in try handlers.readiness() }
        return routes
    }
}

/// The OpenAI API: `POST /v1/chat/completions`, `POST /v1/completions`, `GET /v1/models`.
enum OpenAIRoutes {
    static func collection(
        _ handlers: GatewayHandlers, authentication: AuthenticationMiddleware, table: inout RouteTable
    ) -> RouteCollection<GatewayRequestContext> {
        let routes = RouteCollection(context: GatewayRequestContext.self)
        routes.add(middleware: authentication)
        table.add("/v1/chat/completions", .post, to: routes) { request, context in
            try await handlers.completion(request, context: context, kind: .chat)
        }
        table.add("/v1/completions", .post, to: routes) { request, context in
            try await handlers.completion(request, context: context, kind: .text)
        }
        table.add("/v1/models", .get, to: routes) { _, context in try handlers.models(context: context) }
        return routes
    }
}

/// `POST /tokenize` and `POST /detokenize`, with a key.
enum TokenizeRoutes {
    static func collection(
        _ handlers: GatewayHandlers, authentication: AuthenticationMiddleware, table: inout RouteTable
    ) -> RouteCollection<GatewayRequestContext> {
        let routes = RouteCollection(context: GatewayRequestContext.self)
        routes.add(middleware: authentication)
        for path in ["/tokenize", "/detokenize"] {
            table.add(path, .post, to: routes) { request, context in
                try await handlers.tokenization(request, context: context)
            }
        }
        return routes
    }
}

/// `GET /v1/quotas`: the key's own quotas.
enum QuotaRoutes {
    static func collection(
        _ handlers: GatewayHandlers, authentication: AuthenticationMiddleware, table: inout RouteTable
    ) -> RouteCollection<GatewayRequestContext> {
        let routes = RouteCollection(context: GatewayRequestContext.self)
        routes.add(middleware: authentication)
        table.add("/v1/quotas", .get, to: routes) { _, context in try handlers.quotas(context: context) }
        return routes
    }
}
