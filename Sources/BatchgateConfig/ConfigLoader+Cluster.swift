import Foundation
import Yams

extension NodeReader {
    static let clusterKeys = [
        "node_name", "data_directory", "database_url", "password_file", "password_env", "usage_buffer", "lease_time",
        "lease_fraction", "on_database_loss", "advertise_address", "heartbeat_interval",
        "peer_secret_file", "peer_ca_file",
    ]

    mutating func readCluster(_ node: Node, path: String, baseDirectory: String) -> BatchgateConfiguration.Cluster {
        let defaults = BatchgateConfiguration.Cluster()
        guard let fields = fields(node, path: path, allowed: Self.clusterKeys) else { return defaults }
        var cluster = defaults
        cluster.nodeName = fields["node_name"].flatMap { string($0.value, path: $0.path) }
        if let entry = fields["node_name"], let name = cluster.nodeName,
            name.isEmpty || name.contains(where: { $0.isWhitespace || $0.isNewline })
        {
            report(.invalidValue, "must be a non-empty name without spaces", at: entry.value, path: entry.path)
        }
        cluster.dataDirectory = fields["data_directory"].flatMap { string($0.value, path: $0.path) }?
            .resolvedPath(relativeTo: baseDirectory)
        if let entry = fields["database_url"], let text = string(entry.value, path: entry.path) {
            switch Self.database(url: text) {
            case .success(let database): cluster.database = database
            case .failure(let problem): report(.invalidValue, problem.message, at: entry.value, path: entry.path)
            }
        }
        cluster.passwordFile = fields["password_file"].flatMap { string($0.value, path: $0.path) }?
            .resolvedPath(relativeTo: baseDirectory)
        if let path = cluster.passwordFile, let entry = fields["password_file"] {
            switch FileProbe.probe(path, prefixLength: 1) {
            case .readable: break
            case .missing:
                report(
                    .fileMissing, "password file not readable: \(path) (no such file)", at: entry.value,
                    path: entry.path)
            case .unreadable(let reason):
                report(
                    .fileUnreadable, "password file not readable: \(path) (\(reason))", at: entry.value,
                    path: entry.path)
            }
        }
        cluster.peerSecretFile = readableFile(fields, "peer_secret_file", what: "peer secret", base: baseDirectory)
        cluster.peerCAFile = readableFile(fields, "peer_ca_file", what: "peer CA bundle", base: baseDirectory)
        if cluster.database == nil, let entry = fields["peer_secret_file"] {
            report(
                .invalidValue, "routing between nodes needs database_url (the membership table)", at: entry.keyNode,
                path: entry.path)
        }
        cluster.passwordEnvironment = fields["password_env"].flatMap { string($0.value, path: $0.path) }
        if let file = fields["password_file"], fields["password_env"] != nil {
            report(.invalidValue, "give password_file or password_env, not both", at: file.keyNode, path: file.path)
        }
        if cluster.database == nil, let entry = fields["password_file"] ?? fields["password_env"] {
            report(.invalidValue, "a database password needs database_url", at: entry.keyNode, path: entry.path)
        }
        cluster.usageBuffer = int(fields, "usage_buffer", default: defaults.usageBuffer, range: 1...10_000_000)
        cluster.leaseTime = duration(fields, "lease_time", default: defaults.leaseTime, allowZero: false)
        cluster.leaseFraction = fraction(fields, "lease_fraction", default: defaults.leaseFraction)
        if cluster.leaseFraction == 0, let entry = fields["lease_fraction"] {
            report(
                .outOfRange, "must be greater than 0 (a slice holds a share of the limit)", at: entry.value,
                path: entry.path)
            cluster.leaseFraction = defaults.leaseFraction
        }
        cluster.onDatabaseLoss = choice(fields, "on_database_loss", default: defaults.onDatabaseLoss)
        cluster.advertiseAddress = fields["advertise_address"].flatMap { string($0.value, path: $0.path) }
        if let entry = fields["advertise_address"], let address = cluster.advertiseAddress {
            let parts = address.split(separator: ":")
            if parts.count != 2 || parts[0].isEmpty || Int(parts[1]).map({ !(1...65535).contains($0) }) ?? true {
                report(.invalidValue, "must be HOST:PORT, found \"\(address)\"", at: entry.value, path: entry.path)
            }
        }
        cluster.heartbeatInterval = duration(
            fields, "heartbeat_interval", default: defaults.heartbeatInterval, allowZero: false)
        return cluster
    }

    /// The path under `name`, resolved against `base` and reported when it cannot be read.
    mutating func readableFile(
        _ fields: Fields, _ name: String, what: String, base: String
    ) -> String? {
        guard let entry = fields[name], let path = string(entry.value, path: entry.path)?.resolvedPath(relativeTo: base)
        else { return nil }
        switch FileProbe.probe(path, prefixLength: 1) {
        case .readable: break
        case .missing:
            report(.fileMissing, "\(what) not readable: \(path) (no such file)", at: entry.value, path: entry.path)
        case .unreadable(let reason):
            report(.fileUnreadable, "\(what) not readable: \(path) (\(reason))", at: entry.value, path: entry.path)
        }
        return path
    }

    /// A configuration problem in `database_url`.
    struct URLProblem: Error {
        let message: String
    }

    /// Reads `postgres://USER@HOST[:PORT]/DATABASE[?sslmode=disable|verify-full]`, refusing a password in it.
    static func database(url text: String) -> Result<BatchgateConfiguration.Cluster.Database, URLProblem> {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else {
            return .failure(URLProblem(message: "must be postgres://USER@HOST[:PORT]/DATABASE"))
        }
        if components.password != nil {
            return .failure(
                URLProblem(
                    message: "must not hold a password (the file is read by many and logged): "
                        + "remove it and set cluster.password_file or cluster.password_env"))
        }
        guard let host = components.host, !host.isEmpty else {
            return .failure(URLProblem(message: "names no host: postgres://USER@HOST[:PORT]/DATABASE"))
        }
        guard let user = components.user, !user.isEmpty else {
            return .failure(URLProblem(message: "names no user: postgres://USER@HOST[:PORT]/DATABASE"))
        }
        let name = String(components.path.drop(while: { $0 == "/" }))
        guard !name.isEmpty, !name.contains("/") else {
            return .failure(URLProblem(message: "names no database: postgres://USER@HOST[:PORT]/DATABASE"))
        }
        var tls = BatchgateConfiguration.Cluster.TLSMode.verifyFull
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else {
                return .failure(URLProblem(message: "unknown parameter '\(item.name)' (only sslmode is read)"))
            }
            guard let mode = item.value.flatMap(BatchgateConfiguration.Cluster.TLSMode.init(rawValue:)) else {
                return .failure(
                    URLProblem(message: "sslmode must be disable or verify-full, found \"\(item.value ?? "")\""))
            }
            tls = mode
        }
        return .success(.init(host: host, port: components.port ?? 5432, user: user, name: name, tls: tls))
    }
}
