import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle

/// `/dashboard` (the page), `/dashboard/login` and `/dashboard/logout` (the session cookie), `/dashboard/events`
/// (one snapshot a second over server-sent events) and `/dashboard/state` (one snapshot with the history, as JSON).
/// All but login answer only an admin key, by bearer header or session cookie: 401 without, 403 for another key.
enum DashboardRoutes {
    /// The collection over `dashboard`, each route recorded in `table`.
    static func collection(_ handlers: GatewayHandlers, dashboard: Dashboard, table: inout RouteTable)
        -> RouteCollection<GatewayRequestContext>
    {
        let access = DashboardAccess(keys: handlers.state.keys, sessions: dashboard.sessions)
        let routes = RouteCollection(context: GatewayRequestContext.self)
        table.add("/dashboard", .get, to: routes) { request, context in
            try page(request, context: context, access: access, dashboard: dashboard)
        }
        table.add("/dashboard/login", .post, to: routes) { request, context in
            let form = try await handlers.readBody(request)
            let presented = formValue("key", in: String(buffer: form)) ?? ""
            return try login(presented, request: request, context: context, access: access, dashboard: dashboard)
        }
        table.add("/dashboard/logout", .post, to: routes) { request, _ in
            if let token = DashboardSessions.token(inCookieHeader: request.headers[.cookie]) {
                dashboard.sessions.close(token)
            }
            var response = redirect()
            response.headers[.setCookie] =
                "\(DashboardSessions.cookieName)=; Path=/dashboard; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
            return response
        }
        table.add("/dashboard/events", .get, to: routes) { request, context in
            let key = try access.admin(
                authorization: request.headers[.authorization], cookie: request.headers[.cookie])
            context.record?.update { $0.key = key.name }
            return events(dashboard: dashboard, keys: handlers.state.keys, isConnected: context.isConnected)
        }
        table.add("/dashboard/state", .get, to: routes) { request, context in
            let key = try access.admin(
                authorization: request.headers[.authorization], cookie: request.headers[.cookie])
            context.record?.update { $0.key = key.name }
            var response = Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: ResponseBody(
                    byteBuffer: ByteBuffer(
                        bytes: try snapshotJSON(dashboard, keys: handlers.state.keys, withHistory: true))))
            response.headers[.contentType] = "application/json"
            return response
        }
        return routes
    }

    /// The page for an admin; `?key=` signs in (and redirects to drop the key from the address); a browser
    /// without a session gets the sign-in form with the 401.
    static func page(_ request: Request, context: GatewayRequestContext, access: DashboardAccess, dashboard: Dashboard)
        throws -> Response
    {
        if let presented = request.uri.queryParameters["key"] {
            return try login(
                String(presented), request: request, context: context, access: access, dashboard: dashboard)
        }
        let result = Result { () throws(GatewayError) in
            try access.admin(authorization: request.headers[.authorization], cookie: request.headers[.cookie])
        }
        switch result {
        case .success(let key):
            context.record?.update { $0.key = key.name }
        case .failure(let error):
            guard wantsHTML(request) && error.code != .adminRequired else { throw error }
            return html(DashboardLoginPage.render(message: nil), status: .unauthorized)
        }
        return html(DashboardPage.html, status: .ok)
    }

    /// Signs in with the key `presented`: a session cookie and a redirect to the page, or the error (as the login
    /// form for a browser).
    static func login(
        _ presented: String, request: Request, context: GatewayRequestContext, access: DashboardAccess,
        dashboard: Dashboard
    ) throws -> Response {
        let result = Result { () throws(GatewayError) in try access.admin(presented: presented) }
        switch result {
        case .success(let key):
            context.record?.update { $0.key = key.name }
            var response = redirect()
            response.headers[.setCookie] = dashboard.sessions.cookie(dashboard.sessions.open(for: key.name))
            return response
        case .failure(let error):
            guard wantsHTML(request) else { throw error }
            return html(DashboardLoginPage.render(message: error.message), status: error.status)
        }
    }

    /// A 303 to the page.
    static func redirect() -> Response {
        Response(status: .seeOther, headers: [.location: "/dashboard", .cacheControl: "no-store"])
    }

    /// Whether the client is a browser navigating (it accepts HTML).
    static func wantsHTML(_ request: Request) -> Bool {
        request.headers[.accept]?.contains("text/html") ?? false
    }

    static func html(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                    + "img-src data:; frame-ancestors 'none'",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The value of `name` in an `application/x-www-form-urlencoded` body.
    static func formValue(_ name: String, in body: String) -> String? {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == name else { continue }
            return parts[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }

    /// The snapshot of now, as JSON bytes.
    static func snapshotJSON(_ dashboard: Dashboard, keys: APIKeyStore, withHistory: Bool) throws -> [UInt8] {
        let snapshot = DashboardSnapshot(
            ticks: dashboard.history, models: dashboard.models, keys: keys.keys, recent: dashboard.recent.all,
            withHistory: withHistory)
        return Array(try JSONEncoder().encode(snapshot))
    }

    /// One snapshot per tick as server-sent events (the first with the history), until the client goes, the
    /// gateway shuts down, or an hour passes (the browser reconnects by itself).
    static func events(dashboard: Dashboard, keys: APIKeyStore, isConnected: @escaping @Sendable () -> Bool)
        -> Response
    {
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
            var seen = dashboard.tickCount
            var first = true
            let end = ContinuousClock.now + .seconds(3600)
            while isConnected() && !Task.isShuttingDownGracefully && !Task.isCancelled && ContinuousClock.now < end {
                if !first {
                    // The next tick, or 2 s without one (a snapshot goes out anyway: the client sees it is alive).
                    let wait = ContinuousClock.now + .seconds(2)
                    while dashboard.tickCount == seen && ContinuousClock.now < wait && !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                }
                seen = dashboard.tickCount
                var message = ByteBuffer(string: "data: ")
                message.writeBytes(try snapshotJSON(dashboard, keys: keys, withHistory: first))
                message.writeString("\n\n")
                try await writer.write(message)
                first = false
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store", .init("x-accel-buffering")!: "no"],
            body: body)
    }
}
