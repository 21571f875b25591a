import Yams

extension NodeReader {
    static let tracingKeys = ["otlp_endpoint", "protocol", "service_name", "export_interval", "trace_link"]

    /// `tracing:`; the endpoint must be an `http://` or `https://` URL with a host.
    mutating func readTracing(_ node: Node, path: String) -> BatchgateConfiguration.Tracing {
        let defaults = BatchgateConfiguration.Tracing()
        guard let fields = fields(node, path: path, allowed: Self.tracingKeys) else { return defaults }
        var tracing = defaults
        tracing.otlpEndpoint = httpURL(
            fields, "otlp_endpoint", holding: nil, example: "http://127.0.0.1:4318")
        tracing.otlpProtocol = choice(fields, "protocol", default: defaults.otlpProtocol)
        tracing.serviceName = string(fields, "service_name", default: defaults.serviceName)
        if let entry = fields["service_name"], tracing.serviceName.isEmpty {
            report(.invalidValue, "must not be empty", at: entry.value, path: entry.path)
            tracing.serviceName = defaults.serviceName
        }
        tracing.exportInterval = duration(
            fields, "export_interval", default: defaults.exportInterval, allowZero: false)
        tracing.traceLink = httpURL(
            fields, "trace_link", holding: "{trace_id}", example: "http://jaeger:16686/trace/{trace_id}")
        return tracing
    }

    /// The `http://` or `https://` URL under `key` (which must contain `placeholder` when given); nil, with the
    /// problem reported, for anything else, and nil when the key is absent.
    private mutating func httpURL(_ fields: Fields, _ key: String, holding placeholder: String?, example: String)
        -> String?
    {
        guard let entry = fields[key], let text = string(entry.value, path: entry.path) else { return nil }
        if Self.isHTTPURL(text) && placeholder.map(text.contains) != false { return text }
        let what = placeholder.map { "holding \($0)" } ?? "with a host"
        report(
            .invalidValue, "must be an http:// or https:// URL \(what), such as \(example), found \"\(text)\"",
            at: entry.value, path: entry.path)
        return nil
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
