import Foundation
import Prometheus
import Testing

@testable import Gateway

/// `Docs/openapi.yaml` and the router agree: every route the router serves is described, with its method, and every
/// described route is served.
@Suite("OpenAPI description and router")
struct OpenAPIRouteTests {
    /// The description's file.
    static var specification: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Docs/openapi.yaml")
    }

    /// `METHOD path` for each operation under `paths:` (two-space indented paths, four-space indented methods).
    static func describedRoutes(_ text: String) -> Set<String> {
        var routes: Set<String> = []
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty {
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /") && !line.hasPrefix("   ") && line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    ") && !line.hasPrefix("     ") {
                let method = line.dropFirst(4).dropLast()
                if ["get", "post", "put", "patch", "delete", "head", "options"].contains(method) {
                    routes.insert("\(method.uppercased()) \(path)")
                }
            }
        }
        return routes
    }

    @Test("The reader finds the operations of a small description, and none outside paths:")
    func readerFindsOperations() {
        let text = """
            openapi: 3.1.0
            paths:
              /a:
                get:
                  summary: x
                parameters: []
              /b/c:
                post:
                  responses: {}
            components:
              schemas:
                get:
                  type: object
            """
        #expect(Self.describedRoutes(text) == ["GET /a", "POST /b/c"])
    }

    @Test("Every route of the router, dashboard and metrics included, is in Docs/openapi.yaml, and nothing else is")
    func routesMatch() throws {
        var state = try TestGateway().state
        state.dashboard = Dashboard(registry: PrometheusCollectorRegistry(), models: ["tiny"])
        let table = GatewayRouter.routes(state: state).table
        let served = Set(table.methods.map { "\($0.value.rawValue) \($0.key)" })
        #expect(served.contains("GET /metrics") && served.contains("GET /dashboard/state"))
        let described = Self.describedRoutes(try String(contentsOf: Self.specification, encoding: .utf8))
        #expect(served.subtracting(described).isEmpty, "served, not described: \(served.subtracting(described))")
        #expect(described.subtracting(served).isEmpty, "described, not served: \(described.subtracting(served))")
    }
}
