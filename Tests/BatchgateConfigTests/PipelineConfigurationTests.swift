import Testing

@testable import BatchgateConfig

/// `models[].pipeline`: a model split by layers, the first stage local, the others `batchgate stage` addresses.
@Suite("Pipeline configuration")
struct PipelineConfigurationTests {
    static let pipelineYAML =
        baseYAML + """
                pipeline:
                  - host: local
                    layers: "0-11"
                  - host: 10.0.0.2:7070
                    layers: 12-20
                    trusted_network: true
                  - host: "[fd00::3]:7070"
                    layers: "21-29"

            """

    /// The first stage's TLS files: the fixture's certificate and key, the certificate again as the CA bundle.
    static let pipelineTLSYAML =
        "    pipeline_tls:\n      certificate: cert.pem\n      key: key.pem\n      ca: cert.pem\n"

    @Test("A valid pipeline reads as stages with half-open layer ranges, TLS files and trusted-network marks")
    func valid() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let configuration = try fixture.parse(Self.pipelineYAML + Self.pipelineTLSYAML)
        #expect(
            configuration.models[0].pipeline == [
                .init(host: "local", layers: 0..<12),
                .init(host: "10.0.0.2:7070", layers: 12..<21, trustedNetwork: true),
                .init(host: "[fd00::3]:7070", layers: 21..<30),
            ])
        let directory = fixture.directory
        #expect(
            configuration.models[0].pipelineTLS
                == .init(certificate: directory + "/cert.pem", key: directory + "/key.pem", ca: directory + "/cert.pem")
        )
        #expect(try fixture.parse(baseYAML).models[0].pipeline.isEmpty)
        #expect(try fixture.parse(baseYAML).models[0].pipelineTLS == nil)
    }

    @Test("A stage with neither pipeline_tls nor trusted_network is reported at its entry, naming both keys")
    func plainStageRefused() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let issues = fixture.issues(Self.pipelineYAML)
        #expect(issues.count == 1, "\(issues.map(\.description))")
        let issue = try #require(issues.first)
        #expect(issue.code == .missingKey)
        #expect(issue.keyPath == "models[0].pipeline[2]")
        #expect(issue.message.contains("set models[0].pipeline_tls (certificate, key, ca)"))
        #expect(issue.message.contains("trusted_network: true on this stage"))
        // Every stage trusted: no TLS needed.
        let allTrusted = Self.pipelineYAML.replacingOccurrences(
            of: "layers: \"21-29\"\n", with: "layers: \"21-29\"\n        trusted_network: true\n")
        #expect(try fixture.parse(allTrusted).models[0].pipelineTLS == nil)
    }

    @Test(
        "Broken pipeline_tls blocks are reported at the key",
        arguments: [
            ("    pipeline_tls:\n      certificate: cert.pem\n      key: key.pem\n", "missing required key 'ca'"),
            (
                "    pipeline_tls:\n      certificate: nowhere.pem\n      key: key.pem\n      ca: cert.pem\n",
                "pipeline certificate not readable"
            ),
            (
                "    pipeline_tls:\n      certificate: cert.pem\n      key: key.pem\n      ca: cert.pem\n      cn: x\n",
                "cn"
            ),
            (
                "    pipeline_tls:\n      certificate: cert.pem\n      key: key.pem\n      ca: cert.pem\n",
                "pipeline_tls is for the links of a `pipeline`"
            ),
        ])
    func brokenTLS(yaml: String, message: String) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let issues = fixture.issues(baseYAML + yaml)
        #expect(issues.contains { $0.message.contains(message) }, "\(issues.map(\.description))")
    }

    @Test(
        "Broken pipelines are reported at the key with what was expected",
        arguments: [
            ("    pipeline:\n      - host: local\n        layers: 0-3\n", "a pipeline needs at least two stages"),
            (
                "    pipeline:\n      - host: node-a:7070\n        layers: 0-3\n      - host: b:7070\n        layers: 4-9\n",
                "the first stage must be `local`"
            ),
            (
                "    pipeline:\n      - host: local\n        layers: 0-3\n      - host: b:7070\n        layers: 5-9\n",
                "must start at layer 4, where the stage before ends, found \"5-9\""
            ),
            (
                "    pipeline:\n      - host: local\n        layers: 1-3\n      - host: b:7070\n        layers: 4-9\n",
                "must start at layer 0 (the first stage embeds the tokens)"
            ),
            (
                "    pipeline:\n      - host: local\n        layers: 0-3\n      - host: b\n        layers: 4-9\n",
                "expected HOST:PORT of a `batchgate stage`, found \"b\""
            ),
            (
                "    pipeline:\n      - host: local\n        layers: 0-3\n      - host: b:7070\n        layers: nine\n",
                "expected layers as FIRST-LAST"
            ),
            (
                "    workers: 2\n    pipeline:\n      - host: local\n        layers: 0-3\n      - host: b:1\n        layers: 4-9\n",
                "must be 1 for a model with a pipeline"
            ),
            (
                "    pipeline:\n      - host: local\n        layers: 0-3\n        trusted_network: true\n"
                    + "      - host: b:1\n        layers: 4-9\n        trusted_network: true\n",
                "the local stage has no network link"
            ),
        ])
    func broken(yaml: String, message: String) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let issues = fixture.issues(baseYAML + yaml)
        #expect(issues.contains { $0.message.contains(message) }, "\(issues.map(\.description))")
    }
}
