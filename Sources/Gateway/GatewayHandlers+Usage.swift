import HTTPTypes
import Hummingbird
import NIOCore
import StateStore

extension GatewayHandlers {
    /// `GET /v1/usage?since=24h&by=key,model&format=json|csv`: the same report as `batchgate usage`.
    func usage(_ request: Request, context: Context) async throws -> Response {
        try GatewayError.requireAdmin(context.requireKey(), for: "usage reports")
        guard let cluster = state.cluster else {
            throw GatewayError(.routeNotFound, "usage accounting is off on this node")
        }
        let parameters = request.uri.queryParameters
        let query: UsageQuery
        do {
            query = try UsageQuery.parse(
                since: parameters["since"].map(String.init) ?? "24h",
                by: parameters["by"].map(String.init) ?? "key,model")
        } catch {
            throw GatewayError(.invalidRequest, "\(error)".replacingOccurrences(of: "state store settings: ", with: ""))
        }
        let format = parameters["format"].map(String.init) ?? "json"
        guard format == "json" || format == "csv" else {
            throw GatewayError(.invalidRequest, "format must be json or csv, found '\(format)'", param: "format")
        }
        let report: UsageReport
        do {
            report = try await cluster.store.usage(query)
        } catch {
            throw GatewayError(.internalError, "the usage store cannot be read now: \(error)")
        }
        let text = format == "csv" ? report.csv : report.json
        var headers = HTTPFields()
        headers[.contentType] = format == "csv" ? "text/csv; charset=utf-8" : "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
