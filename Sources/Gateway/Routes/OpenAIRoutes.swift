import Hummingbird

/// The OpenAI API: `POST /v1/chat/completions`, `POST /v1/completions`, `GET /v1/models`.
enum OpenAIRoutes {
    /// The collection, each route recorded in `table`.
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
