import Hummingbird

/// `POST /tokenize` and `POST /detokenize`, with a key.
enum TokenizeRoutes {
    /// The collection, each route recorded in `table`.
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
