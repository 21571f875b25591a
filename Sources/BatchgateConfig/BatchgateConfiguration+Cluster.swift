extension BatchgateConfiguration {
    /// `cluster:` — this node's name, where its state lives (an SQLite file alone, PostgreSQL for a cluster), and
    /// usage accounting.
    public struct Cluster: Sendable, Equatable {
        /// The shared PostgreSQL database, from `database_url` (which never holds the password).
        public struct Database: Sendable, Equatable {
            /// Host name or address.
            public var host: String
            /// TCP port; default 5432.
            public var port: Int
            /// The user to log in as.
            public var user: String
            /// The database name.
            public var name: String
            /// `sslmode`: `verify-full` (the default) or `disable`.
            public var tls: TLSMode

            /// Creates database settings.
            public init(host: String, port: Int = 5432, user: String, name: String, tls: TLSMode = .verifyFull) {
                self.host = host
                self.port = port
                self.user = user
                self.name = name
                self.tls = tls
            }
        }

        /// `sslmode` of `database_url`.
        public enum TLSMode: String, Sendable, Equatable, CaseIterable {
            /// No TLS.
            case disable
            /// TLS with the server's certificate and name checked.
            case verifyFull = "verify-full"
        }

        /// How the node names itself in usage records and membership; default the host name.
        public var nodeName: String?
        /// Where the single-node SQLite store lives; default `$XDG_STATE_HOME/batchgate` (or
        /// `~/.local/state/batchgate`); `serve --demo` uses its cache folder.
        public var dataDirectory: String?
        /// The cluster's PostgreSQL; nil keeps state in the SQLite file.
        public var database: Database?
        /// A file holding the database password (its first line).
        public var passwordFile: String?
        /// An environment variable holding the database password.
        public var passwordEnvironment: String?
        /// Most usage records held in memory while the store is unreachable; default 10000.
        public var usageBuffer: Int
        /// How long a leased slice of a quota is valid (with PostgreSQL); default 10 s.
        public var leaseTime: Duration
        /// The share of a minute's limit one slice holds, 0 < f ≤ 1; default 0.1.
        public var leaseFraction: Double
        /// What limited quotas do once the store is lost and the leases ran out; default `fail_closed`.
        public var onDatabaseLoss: DatabaseLoss
        /// `host:port` where peers reach this node, written in its heartbeat; default the listener's.
        public var advertiseAddress: String?
        /// How often the node writes its heartbeat (with PostgreSQL); default 2 s.
        public var heartbeatInterval: Duration
        /// A file whose first line is the secret the nodes share to sign forwarded requests; with `database`, setting
        /// it turns routing between nodes on.
        public var peerSecretFile: String?
        /// A PEM bundle of the certificates (or CA) a peer's listener may present; default the listener's own chain.
        public var peerCAFile: String?

        /// `cluster.on_database_loss`.
        public enum DatabaseLoss: String, Sendable, Equatable, CaseIterable {
            /// Refuse requests of limited quotas until the store is back.
            case failClosed = "fail_closed"
            /// Admit them uncounted until the store is back.
            case failOpen = "fail_open"
        }

        /// Creates cluster settings; every argument defaults to the documented default.
        public init(
            nodeName: String? = nil, dataDirectory: String? = nil, database: Database? = nil,
            passwordFile: String? = nil, passwordEnvironment: String? = nil, usageBuffer: Int = 10_000,
            leaseTime: Duration = .seconds(10), leaseFraction: Double = 0.1, onDatabaseLoss: DatabaseLoss = .failClosed,
            advertiseAddress: String? = nil, heartbeatInterval: Duration = .seconds(2), peerSecretFile: String? = nil,
            peerCAFile: String? = nil
        ) {
            self.nodeName = nodeName
            self.dataDirectory = dataDirectory
            self.database = database
            self.passwordFile = passwordFile
            self.passwordEnvironment = passwordEnvironment
            self.usageBuffer = usageBuffer
            self.leaseTime = leaseTime
            self.leaseFraction = leaseFraction
            self.onDatabaseLoss = onDatabaseLoss
            self.advertiseAddress = advertiseAddress
            self.heartbeatInterval = heartbeatInterval
            self.peerSecretFile = peerSecretFile
            self.peerCAFile = peerCAFile
        }
    }
}
