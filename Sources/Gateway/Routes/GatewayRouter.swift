import HTTPTypes
import Hummingbird

/// The gateway's routes as Hummingbird `RouteCollection`s behind its middleware, outermost first: the request id,
/// the request's log line (and its count in the metrics), the request's trace when tracing is on, errors as OpenAI
/// shapes them; the API routes add authentication.
enum GatewayRouter {
    /// The responder for `state`.
    static func responder(state: GatewayState) -> RouterResponder<GatewayRequestContext> {
        let (collections, table) = routes(state: state)
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(
            middleware: RequestLogMiddleware(
                metrics: state.metrics, logger: state.logger, dashboard: state.dashboard, cluster: state.cluster))
        if let tracing = state.tracing { router.add(middleware: TracingMiddleware(tracing: tracing)) }
        router.add(middleware: ErrorMiddleware(routes: table.methods, logger: state.logger))
        for collection in collections { router.addRoutes(collection) }
        return router.buildResponder()
    }

    /// The route collections `state` serves, and the table of their paths and methods (`Docs/openapi.yaml` lists
    /// the same routes; `OpenAPIRouteTests` checks it).
    static func routes(state: GatewayState) -> (
        collections: [RouteCollection<GatewayRequestContext>], table: RouteTable
    ) {
        let handlers = GatewayHandlers(state: state)
        var table = RouteTable()
        let authentication = AuthenticationMiddleware(keys: state.keys, peers: state.cluster?.routing?.credential)
        var collections = [
            HealthRoutes.collection(handlers, table: &table),
            OpenAIRoutes.collection(handlers, authentication: authentication, table: &table),
            TokenizeRoutes.collection(handlers, authentication: authentication, table: &table),
            QuotaRoutes.collection(handlers, authentication: authentication, table: &table),
            UsageRoutes.collection(handlers, authentication: authentication, table: &table),
        ]
        if state.metricsSettings.enabled, state.registry != nil {
            let metrics = RouteCollection(context: GatewayRequestContext.self)
            table.add(state.metricsSettings.path, .get, to: metrics) { request, _ in try handlers.metrics(request) }
            collections.insert(metrics, at: 0)
        }
        if let dashboard = state.dashboard {
            collections.append(DashboardRoutes.collection(handlers, dashboard: dashboard, table: &table))
        }
        return (collections, table)
    }
}
