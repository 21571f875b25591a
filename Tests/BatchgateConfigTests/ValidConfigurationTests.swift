import Foundation
import Testing

@testable import BatchgateConfig

@Suite("Valid configurations")
struct ValidConfigurationTests {
    @Test("A minimal configuration gets every documented default")
    func minimalGetsDefaults() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let directory = (fixture.directory as NSString).standardizingPath
        let configuration = try fixture.parse(baseYAML)

        let listener = configuration.listener
        #expect(listener.host == "127.0.0.1")
        #expect(listener.port == 8443)
        #expect(listener.plaintext == false)
        #expect(listener.maxBodyBytes == 4_194_304)
        #expect(listener.headerTimeout == .seconds(10))
        #expect(listener.idleTimeout == .seconds(60))
        #expect(listener.requestTimeout == .seconds(600))
        #expect(listener.drainTimeout == .seconds(30))
        #expect(listener.handshakeTimeout == .seconds(10))
        #expect(listener.maxPendingHandshakes == 256)
        #expect(listener.bodyTimeout == .seconds(30))
        #expect(listener.minBodyBytesPerSecond == 1024)
        #expect(listener.maxConnections == 8192)
        #expect(listener.maxConnectionsPerClient == 0)
        #expect(listener.maxHeaderBytes == 65536)
        #expect(listener.maxHeaderCount == 100)
        #expect(listener.maxRequestsPerSecondPerConnection == 0)
        #expect(listener.writeTimeout == .seconds(60))
        #expect(listener.http2MaxConcurrentStreams == 100)
        #expect(listener.http2MaxStreamResets == 100)

        let tls = try #require(configuration.tls)
        #expect(tls.certificate == directory + "/cert.pem")
        #expect(tls.key == directory + "/key.pem")
        #expect(tls.clientCA == nil)
        #expect(tls.minVersion == .v1_2)
        #expect(tls.selfSigned == false)
        #expect(tls.legacyCipherSuites == false)

        try #require(configuration.models.count == 1)
        let model = configuration.models[0]
        #expect(model.name == "m")
        #expect(model.path == directory + "/model.gguf")
        #expect(model.workers == 1)
        #expect(model.threads == 0)
        #expect(model.maxBatchTokens == 512)
        #expect(model.maxRunning == 16)
        #expect(model.maxQueue == 256)
        #expect(model.queueTimeout == .seconds(30))
        #expect(model.kvCacheMiB == nil, "auto")
        #expect(model.contextLength == nil)
        #expect(model.chatTemplate == .auto)
        #expect(model.unavailableGrace == .seconds(30))
        #expect(model.prefixCache == true)
        #expect(model.prefixCacheMaxShare == 1)
        #expect(model.workerHeartbeatTimeout == .seconds(5))
        #expect(model.stepTimeout == .seconds(600))

        #expect(configuration.keys.isEmpty)
        #expect(configuration.metrics.enabled == true)
        #expect(configuration.metrics.path == "/metrics")
        #expect(configuration.metrics.port == nil)
        #expect(configuration.metrics.requireKey == false)
        #expect(configuration.logging.level == .info)
        #expect(configuration.logging.format == .text)
    }

    @Test("No keys loads, with one warning")
    func noKeysWarns() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let withoutKeys = try fixture.parse(baseYAML)
        #expect(
            withoutKeys.warnings.map(\.description) == [
                "test.yaml:1:1: warning: keys: no API keys: every request will be refused with 401"
            ])
        let emptyKeys = try fixture.parse(baseYAML + "keys: []\n")
        #expect(
            emptyKeys.warnings.map(\.description) == [
                "test.yaml:7:1: warning: keys: no API keys: every request will be refused with 401"
            ])
        #expect(emptyKeys.warnings.first?.code == .noAPIKeys)
        #expect(emptyKeys.warnings.first?.severity == .warning)
    }

    @Test("Every key is read, with relative paths resolved against the base directory")
    func everyKeyIsRead() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let directory = (fixture.directory as NSString).standardizingPath
        let yaml = """
            listener:
              host: 0.0.0.0
              port: 9443
              max_body_bytes: 1024
              header_timeout: 500ms
              idle_timeout: 2m
              request_timeout: 1h
              drain_timeout: 0
              handshake_timeout: 2s
              max_pending_handshakes: 32
              body_timeout: 1m
              min_body_bytes_per_second: 0
              max_connections: 500
              max_connections_per_client: 20
              max_header_bytes: 4096
              max_header_count: 30
              max_requests_per_second_per_connection: 0
              write_timeout: 5s
              http2_max_concurrent_streams: 8
              http2_max_stream_resets: 40
            tls:
              certificate: cert.pem
              key: ./key.pem
              client_ca: tls-dir/../cert.pem
              min_version: "1.3"
              self_signed: false
              legacy_cipher_suites: true
            models:
              - name: qwen2:0.5b-instruct
                path: model.gguf
                workers: 2
                threads: 3
                max_batch_tokens: 2048
                max_running: 64
                max_queue: 1000
                queue_timeout: 1.5
                kv_cache_mib: 512
                context_length: 4096
                chat_template: chatml
                unavailable_grace: 0s
                prefix_cache: false
                prefix_cache_max_share: 0.25
                worker_heartbeat_timeout: 2s
                step_timeout: 90s
              - name: other
                path: model.gguf
                kv_cache_mib: auto
            keys:
              - name: ci
                sha256: \(Fixture.digestA.uppercased())
                models: [other]
                priority: 9
                admin: true
                expires: 2999-12-31
                quotas:
                  other: {requests_per_minute: 10, tokens_per_minute: 1000, concurrent_requests: 2}
              - name: all
                sha256: [\(Fixture.digestB)]
                expires: 2999-01-02T03:04:05Z
                quotas:
                  "*": {concurrent_requests: 1}
                  qwen2:0.5b-instruct: {}
            metrics:
              enabled: false
              path: /internal/metrics
              port: 9100
              require_key: true
            logging:
              level: debug
              format: json

            """
        let configuration = try fixture.parse(yaml)
        #expect(configuration.warnings.isEmpty)
        #expect(
            configuration.listener
                == .init(
                    host: "0.0.0.0",
                    port: 9443,
                    plaintext: false,
                    maxBodyBytes: 1024,
                    headerTimeout: .milliseconds(500),
                    idleTimeout: .seconds(120),
                    requestTimeout: .seconds(3600),
                    drainTimeout: .zero,
                    handshakeTimeout: .seconds(2),
                    maxPendingHandshakes: 32,
                    bodyTimeout: .seconds(60),
                    minBodyBytesPerSecond: 0,
                    maxConnections: 500,
                    maxConnectionsPerClient: 20,
                    maxHeaderBytes: 4096,
                    maxHeaderCount: 30,
                    maxRequestsPerSecondPerConnection: 0,
                    writeTimeout: .seconds(5),
                    http2MaxConcurrentStreams: 8,
                    http2MaxStreamResets: 40
                )
        )
        #expect(
            configuration.tls
                == .init(
                    certificate: directory + "/cert.pem",
                    key: directory + "/key.pem",
                    clientCA: directory + "/cert.pem",
                    minVersion: .v1_3,
                    selfSigned: false,
                    legacyCipherSuites: true
                )
        )
        #expect(
            configuration.models == [
                .init(
                    name: "qwen2:0.5b-instruct",
                    path: directory + "/model.gguf",
                    workers: 2,
                    threads: 3,
                    maxBatchTokens: 2048,
                    maxRunning: 64,
                    maxQueue: 1000,
                    queueTimeout: .milliseconds(1500),
                    kvCacheMiB: 512,
                    contextLength: 4096,
                    chatTemplate: .chatml,
                    unavailableGrace: .zero,
                    prefixCache: false,
                    prefixCacheMaxShare: 0.25,
                    workerHeartbeatTimeout: .seconds(2),
                    stepTimeout: .seconds(90)
                ),
                .init(name: "other", path: directory + "/model.gguf"),
            ]
        )
        try #require(configuration.keys.count == 2)
        let ci = configuration.keys[0]
        #expect(ci.name == "ci")
        #expect(ci.sha256 == [Fixture.digestA])
        #expect(ci.models == .only(["other"]))
        #expect(ci.priority == 9)
        #expect(ci.admin)
        #expect(ci.expires == Date(timeIntervalSince1970: 32_503_680_000))  // 3000-01-01T00:00:00Z
        #expect(ci.quotas == ["other": .init(requestsPerMinute: 10, tokensPerMinute: 1000, concurrentRequests: 2)])
        let all = configuration.keys[1]
        #expect(all.models == .all)
        #expect(all.priority == 0)
        #expect(!all.admin)
        #expect(all.sha256 == [Fixture.digestB])
        #expect(all.expires == Date(timeIntervalSince1970: 32_472_241_445))  // 2999-01-02T03:04:05Z
        #expect(all.quota(for: "other") == .init(concurrentRequests: 1))
        #expect(all.quota(for: "qwen2:0.5b-instruct") == .init())
        #expect(configuration.metrics == .init(enabled: false, path: "/internal/metrics", port: 9100, requireKey: true))
        #expect(configuration.logging == .init(level: .debug, format: .json))
    }

    @Test("Plain HTTP needs no tls section and is warned about")
    func plaintextWithoutTLS() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let yaml =
            "listener:\n  plaintext: true\nmodels:\n  - name: m\n    path: model.gguf\nkeys:\n"
            + "  - name: a\n    sha256: \(Fixture.digestA)\n"
        let configuration = try fixture.parse(yaml)
        #expect(configuration.tls == nil)
        #expect(configuration.listener.plaintext)
        #expect(
            configuration.warnings.map(\.description) == [
                "test.yaml:2:14: warning: listener.plaintext: "
                    + "serving plain HTTP: API keys and prompts travel unencrypted"
            ])
    }

    @Test("self_signed allows missing certificate and key files")
    func selfSignedAllowsMissingFiles() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let yaml = baseYAML.replacingOccurrences(of: "cert.pem", with: "generated/cert.pem")
            .replacingOccurrences(of: "key.pem\n", with: "generated/key.pem\n  self_signed: true\n")
        let configuration = try fixture.parse(yaml)
        #expect(configuration.tls?.selfSigned == true)
        #expect(configuration.tls?.certificate.hasSuffix("/generated/cert.pem") == true)
    }

    @Test("An expired key loads with a warning")
    func expiredKeyWarns() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let yaml = baseYAML + "keys:\n  - name: old\n    sha256: \(Fixture.digestA)\n    expires: 2001-02-03\n"
        let configuration = try fixture.parse(yaml)
        #expect(configuration.keys.first?.isExpired(at: Date()) == true)
        #expect(
            configuration.warnings.map(\.description) == [
                "test.yaml:10:14: warning: keys[0].expires: key 'old' expired on 2001-02-03; it is refused"
            ])
    }
}
