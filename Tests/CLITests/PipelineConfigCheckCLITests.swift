import Foundation
import Testing

/// `config check` on a pipelined model: a link to a later stage needs mutual TLS or an explicit trusted network.
@Suite("batchgate config check on pipelines")
struct PipelineConfigCheckCLITests {
    /// One model split over the local worker and a stage at 10.0.0.2:7070; `stageLines` and `modelLines` are
    /// pasted under the stage's entry and the model.
    static func configuration(stageLines: String = "", modelLines: String = "") -> String {
        """
        tls:
          certificate: cert.pem
          key: key.pem
        models:
          - name: m
            path: model.gguf
            kv_cache_mib: 16
            pipeline:
              - host: local
                layers: "0-0"
              - host: 10.0.0.2:7070
                layers: "1-1"
        \(stageLines)
        \(modelLines)
        keys:
          - name: ci
            sha256: \(String(repeating: "ab", count: 32))
        """
    }

    @Test("A stage with neither pipeline_tls nor trusted_network fails the check, naming both keys")
    func missingTLS() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let plain = try BatchgateProcess.run([
            "config", "check", try directory.write("plain.yaml", Self.configuration()),
        ])
        #expect(plain.status != 0)
        #expect(plain.stderr.contains("models[0].pipeline[1]"), "\(plain.stderr)")
        #expect(plain.stderr.contains("set models[0].pipeline_tls"), "\(plain.stderr)")
        #expect(plain.stderr.contains("trusted_network: true"), "\(plain.stderr)")

        let trusted = try BatchgateProcess.run([
            "config", "check",
            try directory.write("trusted.yaml", Self.configuration(stageLines: "        trusted_network: true")),
        ])
        #expect(trusted.status == 0, "\(trusted.stderr)")

        for name in ["node.pem", "node.key", "ca.pem"] { _ = try directory.write(name, "-----BEGIN-----\n") }
        let tls = try BatchgateProcess.run([
            "config", "check",
            try directory.write(
                "tls.yaml",
                Self.configuration(
                    modelLines: "    pipeline_tls:\n      certificate: node.pem\n      key: node.key\n      ca: ca.pem")
            ),
        ])
        #expect(tls.status == 0, "\(tls.stderr)")
    }
}
