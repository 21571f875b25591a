import Foundation
import Testing

@testable import BatchgateConfig

/// The package root, found from this file's path (Tests/BatchgateConfigTests/ShippedConfigurationTests.swift).
private let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

@Suite("Shipped configuration files")
struct ShippedConfigurationTests {
    /// Where the shipped files find the demo's model, from the package root.
    static let demoModel = "/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"

    /// Copies `Config/NAME` into a temporary `Config/` next to a tiny stand-in for the demo's model in `.cache/models`,
    /// so the test does not depend on `make` having fetched it, and loads it from there.
    private func loadCopy(of name: String) throws -> (BatchgateConfiguration, String) {
        let root = FileManager.default.temporaryDirectory.path + "/batchgate-shipped-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/Config", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/.cache/models", withIntermediateDirectories: true)
        try Data("GGUF".utf8).write(to: URL(fileURLWithPath: root + Self.demoModel))
        try FileManager.default.copyItem(atPath: packageRoot + "/Config/" + name, toPath: root + "/Config/" + name)
        return (try ConfigLoader.load(path: root + "/Config/" + name), (root as NSString).standardizingPath)
    }

    @Test("Config/demo.yaml loads: one model, the public demo key, self-signed TLS")
    func demoLoads() throws {
        let (configuration, root) = try loadCopy(of: "demo.yaml")
        #expect(configuration.warnings.isEmpty)
        #expect(configuration.listener.host == "127.0.0.1")
        #expect(configuration.listener.port == 8443)
        #expect(configuration.tls?.selfSigned == true)
        #expect(configuration.tls?.certificate == root + "/.cache/demo/tls/cert.pem")
        #expect(configuration.tls?.key == root + "/.cache/demo/tls/key.pem")
        #expect(configuration.models.map(\.name) == ["demo"])
        #expect(configuration.models.first?.path == root + Self.demoModel)
        #expect(configuration.models.first?.workers == 1)
        try #require(configuration.keys.count == 1)
        #expect(configuration.keys[0].name == "demo")
        let demoKey = "bg-demo-0000000000000000000000000000000000000000"
        #expect(configuration.keys[0].matches(digest: APIKeyDigest.sha256Hex(of: demoKey)))
    }

    @Test("Config/batchgate.yaml loads: two models, three keys with priorities, rotation, expiry and quotas")
    func exampleLoads() throws {
        let (configuration, root) = try loadCopy(of: "batchgate.yaml")
        #expect(configuration.warnings.isEmpty)
        #expect(configuration.models.count == 2)
        #expect(configuration.models.allSatisfy { $0.path == root + Self.demoModel })
        #expect(configuration.keys.count == 3)
        #expect(Set(configuration.keys.map(\.priority)).count == 3)
        #expect(configuration.keys.contains { $0.sha256.count == 2 })
        #expect(configuration.keys.contains { $0.expires != nil })
        #expect(configuration.keys.contains { $0.quotas["*"] != nil && $0.quotas.count > 1 })
        #expect(configuration.tls?.selfSigned == true)
    }

    /// Every key the loader accepts, as `section.key`.
    static let allKeys: [String] =
        NodeReader.listenerKeys.map { "listener.\($0)" } + NodeReader.tlsKeys.map { "tls.\($0)" }
        + NodeReader.modelKeys.map { "models[].\($0)" } + NodeReader.apiKeyKeys.map { "keys[].\($0)" }
        + NodeReader.quotaKeys.map { "keys[].quotas.\($0)" } + NodeReader.metricsKeys.map { "metrics.\($0)" }
        + NodeReader.loggingKeys.map { "logging.\($0)" } + NodeReader.tracingKeys.map { "tracing.\($0)" }
        + NodeReader.clusterKeys.map { "cluster.\($0)" }
        + NodeReader.pipelineKeys.map { "models[].pipeline[].\($0)" }
        + NodeReader.pipelineTLSKeys.map { "models[].pipeline_tls.\($0)" }

    @Test("Config/batchgate.yaml shows every key, at least in a comment", arguments: allKeys)
    func exampleShowsKey(_ key: String) throws {
        let text = try String(contentsOfFile: packageRoot + "/Config/batchgate.yaml", encoding: .utf8)
        let leaf = String(key.split(separator: ".").last!)
        #expect(text.contains(" \(leaf):"), "Config/batchgate.yaml does not show \(key)")
    }

    @Test("Docs/configuration.md documents every key", arguments: allKeys)
    func referenceDocumentsKey(_ key: String) throws {
        let text = try String(contentsOfFile: packageRoot + "/Docs/configuration.md", encoding: .utf8)
        #expect(text.contains("`\(key)`"), "Docs/configuration.md does not document \(key)")
    }
}
