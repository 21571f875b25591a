import Foundation
import Testing

@testable import BatchgateConfig

@Suite("cluster: section")
struct ClusterConfigurationTests {
    @Test("Absent, it keeps one node on SQLite with the documented defaults")
    func defaults() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let cluster = try fixture.parse(baseYAML).cluster
        #expect(cluster == BatchgateConfiguration.Cluster())
        #expect(cluster.database == nil)
        #expect(cluster.usageBuffer == 10_000)
    }

    @Test("A full section: the URL's parts, a relative data directory and password file resolved")
    func fullSection() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try Data("secret\n".utf8).write(to: URL(fileURLWithPath: fixture.directory + "/db-password"))
        let cluster = try fixture.parse(
            baseYAML + """

                cluster:
                  node_name: gw-1
                  data_directory: state
                  database_url: postgres://batchgate@db.internal:6543/usage?sslmode=disable
                  password_file: db-password
                  usage_buffer: 50
                  lease_time: 2s
                  lease_fraction: 0.05
                  on_database_loss: fail_open
                  advertise_address: 127.0.0.2:8443
                  heartbeat_interval: 500ms
                """
        ).cluster
        #expect(cluster.nodeName == "gw-1")
        #expect(cluster.dataDirectory == fixture.directory + "/state")
        #expect(
            cluster.database == .init(host: "db.internal", port: 6543, user: "batchgate", name: "usage", tls: .disable))
        #expect(cluster.passwordFile == fixture.directory + "/db-password")
        #expect(cluster.usageBuffer == 50)
        #expect(cluster.leaseTime == .seconds(2))
        #expect(cluster.leaseFraction == 0.05)
        #expect(cluster.onDatabaseLoss == .failOpen)
        #expect(cluster.advertiseAddress == "127.0.0.2:8443")
        #expect(cluster.heartbeatInterval == .milliseconds(500))
    }

    @Test(
        "Refused database settings say why",
        arguments: [
            ("database_url: postgres://batchgate:hunter2@db/usage", "must not hold a password"),
            ("database_url: mysql://batchgate@db/usage", "must be postgres://"),
            ("database_url: postgres://db/usage", "names no user"),
            ("database_url: postgres://batchgate@db", "names no database"),
            ("database_url: postgres://batchgate@db/usage?sslmode=prefer", "sslmode must be disable or verify-full"),
            ("password_env: DB_PASSWORD", "a database password needs database_url"),
            ("database_url: postgres://u@h/d\n  password_file: nowhere", "password file not readable"),
            ("usage_buffer: 0", "must be"),
            ("node_name: \"two words\"", "without spaces"),
            ("lease_fraction: 0", "must be greater than 0"),
            ("advertise_address: node-b", "must be HOST:PORT"),
            ("on_database_loss: fail_later", "must be one of fail_closed or fail_open"),
        ])
    func refusals(_ line: String, _ expected: String) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let issues = fixture.issues(baseYAML + "\ncluster:\n  " + line + "\n")
        #expect(issues.count == 1)
        #expect(issues.first?.message.contains(expected) == true, "\(issues)")
        #expect(!issues.description.contains("hunter2"), "the message never repeats the password")
    }
}
