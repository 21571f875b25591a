import Hummingbird

/// `GET /v1/usage`: usage summed by key, model, node or status, for admin keys (`keys[].admin: true`).
enum UsageRoutes {
    /// The collection, each route recorded in `table`.
    static func collection(
        _ handlers: GatewayHandlers, authentication: AuthenticationMiddleware, table: inout RouteTable
    ) -> RouteCollection<GatewayRequestContext> {
        let routes = RouteCollection(context: GatewayRequestContext.self)
        routes.add(middleware: authentication)
        table.add("/v1/usage", .get, to: routes) { request, context in
            try await handlers.usage(request, context: context)
        }
        return routes
    }
}
