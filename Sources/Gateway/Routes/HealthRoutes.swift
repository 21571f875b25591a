import Hummingbird

/// `GET /health/live` and `GET /health/ready`, without a key.
enum HealthRoutes {
    /// The collection, each route recorded in `table`.
    static func collection(_ handlers: GatewayHandlers, table: inout RouteTable) -> RouteCollection<
        GatewayRequestContext
    > {
        let routes = RouteCollection(context: GatewayRequestContext.self)
        table.add("/health/live", .get, to: routes) { _, _ in try GatewayHandlers.json(encoding: ["status": "ok"]) }
        table.add("/health/ready", .get, to: routes) { _, _ in try handlers.readiness() }
        return routes
    }
}
