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
                  - host: "[fd00::3]:7070"
                    layers: "21-29"

            """

    @Test("A valid pipeline reads as stages with half-open layer ranges")
    func valid() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let configuration = try fixture.parse(Self.pipelineYAML)
        #expect(
            configuration.models[0].pipeline == [
                .init(host: "local", layers: 0..<12), .init(host: "10.0.0.2:7070", layers: 12..<21),
                .init(host: "[fd00::3]:7070", layers: 21..<30),
            ])
        #expect(try fixture.parse(baseYAML).models[0].pipeline.isEmpty)
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
        ])
    func broken(yaml: String, message: String) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let issues = fixture.issues(baseYAML + yaml)
        #expect(issues.contains { $0.message.contains(message) }, "\(issues.map(\.description))")
    }
}
