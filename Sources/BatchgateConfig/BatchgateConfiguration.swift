/// The whole `batchgate` configuration, after defaults are applied and every reference is checked.
///
/// Load one with ``ConfigLoader/load(path:)``; the reference for every key is `Docs/configuration.md`.
public struct BatchgateConfiguration: Sendable, Equatable {
    /// Where and how the gateway accepts connections.
    public var listener: Listener
    /// TLS settings; `nil` only when `listener.plaintext` is true.
    public var tls: TLS?
    /// The served models, in file order; never empty.
    public var models: [Model]
    /// The API keys, in file order; may be empty (then every request is refused).
    public var keys: [APIKey]
    /// The Prometheus endpoint.
    public var metrics: Metrics
    /// Log level and format.
    public var logging: Logging
    /// Request tracing (OTLP export); off by default.
    public var tracing: Tracing = Tracing()
    /// Node name, state store, usage accounting.
    public var cluster: Cluster
    /// Problems that do not stop the gateway (no API keys, expired keys, plain HTTP), in file order.
    public var warnings: [ConfigIssue]

    /// Creates a configuration.
    public init(
        listener: Listener = Listener(),
        tls: TLS?,
        models: [Model],
        keys: [APIKey] = [],
        metrics: Metrics = Metrics(),
        logging: Logging = Logging(),
        tracing: Tracing = Tracing(),
        cluster: Cluster = Cluster(),
        warnings: [ConfigIssue] = []
    ) {
        self.listener = listener
        self.tls = tls
        self.models = models
        self.keys = keys
        self.metrics = metrics
        self.logging = logging
        self.tracing = tracing
        self.cluster = cluster
        self.warnings = warnings
    }

    /// The model with this name, if configured.
    public func model(named name: String) -> Model? {
        models.first { $0.name == name }
    }

    /// `listener:` — where and how the gateway accepts connections.
    public struct Listener: Sendable, Equatable {
        /// Address to bind; default `127.0.0.1`.
        public var host: String
        /// TCP port, 1...65535; default 8443.
        public var port: Int
        /// Serve plain HTTP instead of TLS; default false, and `tls` must then be absent.
        public var plaintext: Bool
        /// Largest accepted request body in bytes; default 4 MiB.
        public var maxBodyBytes: Int
        /// Time allowed to receive the request head; default 10 s.
        public var headerTimeout: Duration
        /// Idle keep-alive connections are closed after this; default 60 s.
        public var idleTimeout: Duration
        /// Longest a single request (including a streamed generation) may take; default 10 min.
        public var requestTimeout: Duration
        /// On shutdown, how long in-flight requests get to finish; default 30 s.
        public var drainTimeout: Duration
        /// Time allowed for a new connection's TLS handshake, from its acceptance; default 10 s.
        public var handshakeTimeout: Duration
        /// Most connections whose TLS handshake has not finished; one past it is closed at once; default 256.
        public var maxPendingHandshakes: Int
        /// Time allowed to receive a whole request body, from its request head; default 30 s.
        public var bodyTimeout: Duration
        /// Slowest accepted average body rate once the first ``bodyRateGrace`` of the body has passed, in bytes per
        /// second; 0 checks no rate; default 1024.
        public var minBodyBytesPerSecond: Int
        /// Most connections open at once; one past it is closed at once; default 8192.
        public var maxConnections: Int
        /// Most connections open at once from one client address; 0 sets none (the default: behind a proxy or load
        /// balancer every connection comes from its address).
        public var maxConnectionsPerClient: Int
        /// Largest request head (request line and headers together), in bytes; more gets 431; default 64 KiB.
        public var maxHeaderBytes: Int
        /// Most header fields in a request; more gets 431; default 100.
        public var maxHeaderCount: Int
        /// Most requests a connection may start per second, with a burst of as many; 0 sets none; default 100.
        public var maxRequestsPerSecondPerConnection: Int
        /// A connection (HTTP/2: a stream) that cannot take more output for this long is closed; default 60 s.
        public var writeTimeout: Duration
        /// Most HTTP/2 streams open at once on one connection (`SETTINGS_MAX_CONCURRENT_STREAMS`); default 100.
        public var http2MaxConcurrentStreams: Int
        /// Most HTTP/2 streams a client may reset within ``http2ResetWindow`` before its connection is closed with
        /// `GOAWAY` (rapid reset, CVE-2023-44487); default 100.
        public var http2MaxStreamResets: Int

        /// The window ``http2MaxStreamResets`` counts in (a fixed 10 s).
        public static let http2ResetWindow: Duration = .seconds(10)

        /// How long a body may take before ``minBodyBytesPerSecond`` applies (a fixed 5 s: a client's first
        /// round trips and TCP slow start are not a rate).
        public static let bodyRateGrace: Duration = .seconds(5)

        /// Creates listener settings; every argument defaults to the documented default.
        public init(
            host: String = "127.0.0.1",
            port: Int = 8443,
            plaintext: Bool = false,
            maxBodyBytes: Int = 4_194_304,
            headerTimeout: Duration = .seconds(10),
            idleTimeout: Duration = .seconds(60),
            requestTimeout: Duration = .seconds(600),
            drainTimeout: Duration = .seconds(30),
            handshakeTimeout: Duration = .seconds(10),
            maxPendingHandshakes: Int = 256,
            bodyTimeout: Duration = .seconds(30),
            minBodyBytesPerSecond: Int = 1024,
            maxConnections: Int = 8192,
            maxConnectionsPerClient: Int = 0,
            maxHeaderBytes: Int = 65536,
            maxHeaderCount: Int = 100,
            maxRequestsPerSecondPerConnection: Int = 0,
            writeTimeout: Duration = .seconds(60),
            http2MaxConcurrentStreams: Int = 100,
            http2MaxStreamResets: Int = 100
        ) {
            self.host = host
            self.port = port
            self.plaintext = plaintext
            self.maxBodyBytes = maxBodyBytes
            self.headerTimeout = headerTimeout
            self.idleTimeout = idleTimeout
            self.requestTimeout = requestTimeout
            self.drainTimeout = drainTimeout
            self.handshakeTimeout = handshakeTimeout
            self.maxPendingHandshakes = maxPendingHandshakes
            self.bodyTimeout = bodyTimeout
            self.minBodyBytesPerSecond = minBodyBytesPerSecond
            self.maxConnections = maxConnections
            self.maxConnectionsPerClient = maxConnectionsPerClient
            self.maxHeaderBytes = maxHeaderBytes
            self.maxHeaderCount = maxHeaderCount
            self.maxRequestsPerSecondPerConnection = maxRequestsPerSecondPerConnection
            self.writeTimeout = writeTimeout
            self.http2MaxConcurrentStreams = http2MaxConcurrentStreams
            self.http2MaxStreamResets = http2MaxStreamResets
        }
    }

    /// The lowest TLS protocol version accepted.
    public enum TLSVersion: String, Sendable, Equatable, CaseIterable {
        /// TLS 1.2 (the default).
        case v1_2 = "1.2"
        /// TLS 1.3 only.
        case v1_3 = "1.3"
    }

    /// `tls:` — the server certificate and, optionally, client certificate checking.
    public struct TLS: Sendable, Equatable {
        /// Absolute path of the PEM certificate chain.
        public var certificate: String
        /// Absolute path of the PEM private key.
        public var key: String
        /// Absolute path of a PEM CA bundle; when set, clients must present a certificate it signed (mutual TLS).
        public var clientCA: String?
        /// The lowest accepted protocol version; default 1.2.
        public var minVersion: TLSVersion
        /// Generate a self-signed certificate into `certificate`/`key` when they do not exist (demo only).
        public var selfSigned: Bool
        /// Also offer TLS 1.2's CBC cipher suites with SHA-1/SHA-2 MACs (for old clients); default false, which offers
        /// only ECDHE with AES-GCM or ChaCha20-Poly1305 on TLS 1.2 (TLS 1.3's suites are the same either way).
        public var legacyCipherSuites: Bool

        /// Creates TLS settings.
        public init(
            certificate: String,
            key: String,
            clientCA: String? = nil,
            minVersion: TLSVersion = .v1_2,
            selfSigned: Bool = false,
            legacyCipherSuites: Bool = false
        ) {
            self.certificate = certificate
            self.key = key
            self.clientCA = clientCA
            self.minVersion = minVersion
            self.selfSigned = selfSigned
            self.legacyCipherSuites = legacyCipherSuites
        }
    }

    /// `metrics:` — the Prometheus text endpoint.
    public struct Metrics: Sendable, Equatable {
        /// Serve metrics at all; default true.
        public var enabled: Bool
        /// HTTP path, starting with `/`; default `/metrics`.
        public var path: String
        /// When set, metrics are served over plain HTTP on this port (same host) instead of the main listener.
        public var port: Int?
        /// Require a valid API key to read metrics; default false.
        public var requireKey: Bool

        /// Creates metrics settings; every argument defaults to the documented default.
        public init(enabled: Bool = true, path: String = "/metrics", port: Int? = nil, requireKey: Bool = false) {
            self.enabled = enabled
            self.path = path
            self.port = port
            self.requireKey = requireKey
        }
    }

    /// `logging.level`, the same names swift-log uses.
    public enum LogLevel: String, Sendable, Equatable, CaseIterable {
        /// Everything.
        case trace
        /// Debugging detail.
        case debug
        /// Normal operation (the default).
        case info
        /// Noteworthy events.
        case notice
        /// Recoverable problems.
        case warning
        /// Failed operations.
        case error
        /// The process cannot continue.
        case critical
    }

    /// `logging.format`.
    public enum LogFormat: String, Sendable, Equatable, CaseIterable {
        /// One human-readable line per event (the default).
        case text
        /// One JSON object per line.
        case json
    }

    /// `logging:` — level and format of the log on standard error.
    public struct Logging: Sendable, Equatable {
        /// Lowest level logged; default `info`.
        public var level: LogLevel
        /// Line format; default `text`.
        public var format: LogFormat

        /// Creates logging settings.
        public init(level: LogLevel = .info, format: LogFormat = .text) {
            self.level = level
            self.format = format
        }
    }
}
