import Yams

extension NodeReader {
    static let tracingKeys = ["otlp_endpoint", "protocol", "service_name", "export_interval", "trace_link"]

    /// `tracing:`; the endpoint must be an `http://` or `https://` URL with a host.
    mutating func readTracing(_ node: Node, path: String) -> BatchgateConfiguration.Tracing {
        let defaults = BatchgateConfiguration.Tracing()
        guard let fields = fields(node, path: path, allowed: Self.tracingKeys) else { return defaults }
        var tracing = defaults
        if let entry = fields["otlp_endpoint"], let endpoint = string(entry.value, path: entry.path) {
            if Self.isHTTPURL(endpoint) {
                tracing.otlpEndpoint = endpoint
            } else {
                report(
                    .invalidValue,
                    "must be an http:// or https:// URL with a host, such as http://127.0.0.1:4318, "
                        + "found \"\(endpoint)\"", at: entry.value, path: entry.path)
            }
        }
        tracing.otlpProtocol = choice(fields, "protocol", default: defaults.otlpProtocol)
        tracing.serviceName = string(fields, "service_name", default: defaults.serviceName)
        if let entry = fields["service_name"], tracing.serviceName.isEmpty {
            report(.invalidValue, "must not be empty", at: entry.value, path: entry.path)
            tracing.serviceName = defaults.serviceName
        }
        tracing.exportInterval = duration(
            fields, "export_interval", default: defaults.exportInterval, allowZero: false)
        if let entry = fields["trace_link"], let link = string(entry.value, path: entry.path) {
            if Self.isHTTPURL(link) && link.contains("{trace_id}") {
                tracing.traceLink = link
            } else {
                report(
                    .invalidValue,
                    "must be an http:// or https:// URL holding {trace_id}, such as "
                        + "http://jaeger:16686/trace/{trace_id}, found \"\(link)\"", at: entry.value, path: entry.path)
            }
        }
        return tracing
    }

    /// Whether `text` is `http://HOST...` or `https://HOST...` with a non-empty host and no whitespace.
    static func isHTTPURL(_ text: String) -> Bool {
        guard !text.contains(where: \.isWhitespace) else { return false }
        for scheme in ["http://", "https://"] where text.lowercased().hasPrefix(scheme) {
            let rest = text.dropFirst(scheme.count)
            let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            return !host.isEmpty && !host.hasPrefix(":")
        }
        return false
    }
}
