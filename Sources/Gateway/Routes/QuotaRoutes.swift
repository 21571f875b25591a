import Hummingbird

/// `GET /v1/quotas`: the key's own quotas.
enum QuotaRoutes {
    /// The collection, each route recorded in `table`.
    static func collection(
        _ handlers: GatewayHandlers, authentication: AuthenticationMiddleware, table: inout RouteTable
    ) -> RouteCollection<GatewayRequestContext> {
        let routes = RouteCollection(context: GatewayRequestContext.self)
        routes.add(middleware: authentication)
        table.add("/v1/quotas", .get, to: routes) { _, context in try handlers.quotas(context: context) }
        return routes
    }
}
