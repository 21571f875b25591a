import Yams

extension NodeReader {
    static let listenerKeys = [
        "host", "port", "plaintext", "max_body_bytes", "header_timeout", "idle_timeout", "request_timeout",
        "drain_timeout", "handshake_timeout", "max_pending_handshakes", "body_timeout", "min_body_bytes_per_second",
        "max_connections", "max_connections_per_client", "max_header_bytes", "max_header_count",
        "max_requests_per_second_per_connection", "write_timeout", "http2_max_concurrent_streams",
        "http2_max_stream_resets",
    ]
    static let tlsKeys = ["certificate", "key", "client_ca", "min_version", "self_signed", "legacy_cipher_suites"]
    static let metricsKeys = ["enabled", "path", "port", "require_key"]
    static let loggingKeys = ["level", "format"]

    mutating func readListener(_ node: Node, path: String) -> BatchgateConfiguration.Listener {
        let defaults = BatchgateConfiguration.Listener()
        guard let fields = fields(node, path: path, allowed: Self.listenerKeys) else { return defaults }
        var listener = defaults
        listener.host = string(fields, "host", default: defaults.host)
        if let entry = fields["host"], listener.host.isEmpty {
            report(.invalidValue, "must not be empty", at: entry.value, path: entry.path)
        }
        listener.port = int(fields, "port", default: defaults.port, range: 1...65535)
        listener.plaintext = bool(fields, "plaintext", default: defaults.plaintext)
        if listener.plaintext, let entry = fields["plaintext"] {
            warn(
                .plaintext, "serving plain HTTP: API keys and prompts travel unencrypted", at: entry.value,
                path: entry.path)
        }
        listener.maxBodyBytes = int(fields, "max_body_bytes", default: defaults.maxBodyBytes, range: 1...Int.max)
        listener.headerTimeout = duration(fields, "header_timeout", default: defaults.headerTimeout, allowZero: false)
        listener.idleTimeout = duration(fields, "idle_timeout", default: defaults.idleTimeout, allowZero: false)
        listener.requestTimeout = duration(
            fields,
            "request_timeout",
            default: defaults.requestTimeout,
            allowZero: false
        )
        listener.drainTimeout = duration(fields, "drain_timeout", default: defaults.drainTimeout, allowZero: true)
        listener.handshakeTimeout = duration(
            fields, "handshake_timeout", default: defaults.handshakeTimeout, allowZero: false)
        listener.maxPendingHandshakes = int(
            fields, "max_pending_handshakes", default: defaults.maxPendingHandshakes, range: 1...Int.max)
        listener.bodyTimeout = duration(fields, "body_timeout", default: defaults.bodyTimeout, allowZero: false)
        listener.minBodyBytesPerSecond = int(
            fields, "min_body_bytes_per_second", default: defaults.minBodyBytesPerSecond, range: 0...Int.max)
        readFrontDoor(fields, into: &listener, defaults: defaults)
        return listener
    }

    /// `tls:` is required unless `listener.plaintext` is true, and must then be absent.
    mutating func readTLSSection(
        _ root: Fields,
        listener: BatchgateConfiguration.Listener,
        baseDirectory: String
    ) -> BatchgateConfiguration.TLS? {
        if listener.plaintext {
            if let entry = root["tls"] {
                report(
                    .invalidValue,
                    "must be absent when listener.plaintext is true",
                    at: entry.keyNode,
                    path: entry.path
                )
            }
            return nil
        }
        guard let entry = root["tls"] else {
            report(
                .missingKey,
                "missing required key 'tls' (or set listener.plaintext: true to serve plain HTTP)",
                at: root.node,
                path: "tls"
            )
            return nil
        }
        return readTLS(entry.value, path: entry.path, baseDirectory: baseDirectory)
    }

    private mutating func readTLS(_ node: Node, path: String, baseDirectory: String) -> BatchgateConfiguration.TLS? {
        guard let fields = fields(node, path: path, allowed: Self.tlsKeys) else { return nil }
        let certificate = required(fields, "certificate").flatMap { string($0.value, path: $0.path) }
        let key = required(fields, "key").flatMap { string($0.value, path: $0.path) }
        let clientCA = fields["client_ca"].flatMap { string($0.value, path: $0.path) }
        let minVersion = choice(fields, "min_version", default: BatchgateConfiguration.TLSVersion.v1_2)
        let selfSigned = bool(fields, "self_signed", default: false)
        let legacyCipherSuites = bool(fields, "legacy_cipher_suites", default: false)

        let certificatePath = certificate?.resolvedPath(relativeTo: baseDirectory)
        let keyPath = key?.resolvedPath(relativeTo: baseDirectory)
        let clientCAPath = clientCA?.resolvedPath(relativeTo: baseDirectory)
        checkTLSFile(certificatePath, entry: fields["certificate"], what: "TLS certificate", mayBeMissing: selfSigned)
        checkTLSFile(keyPath, entry: fields["key"], what: "TLS key", mayBeMissing: selfSigned)
        checkTLSFile(clientCAPath, entry: fields["client_ca"], what: "TLS client CA", mayBeMissing: false)

        guard let certificatePath, let keyPath else { return nil }
        return BatchgateConfiguration.TLS(
            certificate: certificatePath,
            key: keyPath,
            clientCA: clientCAPath,
            minVersion: minVersion,
            selfSigned: selfSigned,
            legacyCipherSuites: legacyCipherSuites
        )
    }

    private mutating func checkTLSFile(_ path: String?, entry: Fields.Entry?, what: String, mayBeMissing: Bool) {
        guard let path, let entry else { return }
        switch FileProbe.probe(path, prefixLength: 1) {
        case .readable:
            break
        case .missing:
            if !mayBeMissing {
                report(.fileMissing, "\(what) not readable: \(path) (no such file)", at: entry.value, path: entry.path)
            }
        case .unreadable(let reason):
            report(.fileUnreadable, "\(what) not readable: \(path) (\(reason))", at: entry.value, path: entry.path)
        }
    }

    mutating func readMetrics(
        _ node: Node,
        path: String,
        listener: BatchgateConfiguration.Listener
    ) -> BatchgateConfiguration.Metrics {
        let defaults = BatchgateConfiguration.Metrics()
        guard let fields = fields(node, path: path, allowed: Self.metricsKeys) else { return defaults }
        var metrics = defaults
        metrics.enabled = bool(fields, "enabled", default: defaults.enabled)
        metrics.path = string(fields, "path", default: defaults.path)
        if let entry = fields["path"], !metrics.path.hasPrefix("/") {
            report(.invalidValue, "must start with \"/\", found \"\(metrics.path)\"", at: entry.value, path: entry.path)
            metrics.path = defaults.path
        }
        metrics.port = optionalInt(fields, "port", range: 1...65535)
        if let port = metrics.port, port == listener.port, let entry = fields["port"] {
            report(
                .invalidValue, "must differ from listener.port (\(listener.port))", at: entry.value, path: entry.path)
            metrics.port = nil
        }
        metrics.requireKey = bool(fields, "require_key", default: defaults.requireKey)
        return metrics
    }

    mutating func readLogging(_ node: Node, path: String) -> BatchgateConfiguration.Logging {
        let defaults = BatchgateConfiguration.Logging()
        guard let fields = fields(node, path: path, allowed: Self.loggingKeys) else { return defaults }
        return BatchgateConfiguration.Logging(
            level: choice(fields, "level", default: defaults.level),
            format: choice(fields, "format", default: defaults.format)
        )
    }
}
