/// Where the cluster's PostgreSQL is and how to log in; the password never comes from the configuration file.
public struct PostgresSettings: Sendable, Equatable {
    /// How the connection is encrypted.
    public enum TLSMode: String, Sendable, Equatable, CaseIterable {
        /// No TLS (a database on the same host or a private network).
        case disable
        /// TLS with the server's certificate checked against the system's trust store and its name.
        case verifyFull = "verify-full"
    }

    /// Host name or address.
    public var host: String
    /// TCP port; default 5432.
    public var port: Int
    /// The user to log in as.
    public var user: String
    /// The database.
    public var database: String
    /// The password, read from a file or an environment variable by the caller; nil logs in without one.
    public var password: String?
    /// TLS mode.
    public var tls: TLSMode

    /// Creates settings.
    public init(
        host: String, port: Int = 5432, user: String, database: String, password: String? = nil,
        tls: TLSMode = .verifyFull
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.password = password
        self.tls = tls
    }
}
