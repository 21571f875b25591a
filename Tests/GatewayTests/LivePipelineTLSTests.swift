import BatchgateTestSupport
import Foundation
import Glibc
import Testing

/// A model split into two pipeline stages behind a real gateway, the link between them mutual TLS: the gateway's
/// worker runs layer 0 with `models[].pipeline_tls`, a `batchgate stage --tls-…` process layer 1.
@Suite("Live pipeline over mutual TLS", .serialized)
struct LivePipelineTLSTests {
    @Test("A greedy stream through a stage over mutual TLS has the tokens of the unsplit model")
    func sameTokensAsUnsplit() throws {
        let port = try LoopbackPort.free()
        var stage: Process?
        let gateway = try LiveGateway(
            kvCacheMiB: 16,
            modelLines: "    pipeline:\n      - host: local\n        layers: \"0-0\"\n"
                + "      - host: 127.0.0.1:\(port)\n        layers: \"1-1\"\n"
                + "    pipeline_tls:\n      certificate: first.pem\n      key: first.key\n      ca: ca.pem\n"
        ) { folder in
            let certificates = try TestCertificates(in: folder)
            try certificates.leaf("stage", subjectAltName: "IP:127.0.0.1")
            try certificates.leaf("first")
            stage = try LivePipelineTests.startStage(
                model: folder.appendingPathComponent("tiny.gguf").path, port: port,
                log: folder.appendingPathComponent("stage.log"),
                flags: [
                    "--tls-certificate", certificates.path("stage.pem"), "--tls-key", certificates.path("stage.key"),
                    "--tls-ca", certificates.path("ca.pem"),
                ])
            return ("", [])
        }
        defer { if let stage, stage.isRunning { kill(stage.processIdentifier, SIGKILL) } }
        let split = gateway.folder.appendingPathComponent("split.sse")
        try LivePipelineTests.stream(gateway, tokens: 200, output: split).waitUntilExit()

        let unsplitGateway = try LiveGateway(kvCacheMiB: 16)
        let unsplit = unsplitGateway.folder.appendingPathComponent("unsplit.sse")
        try LivePipelineTests.stream(unsplitGateway, tokens: 200, output: unsplit).waitUntilExit()

        let expected = LivePipelineTests.text(of: try String(contentsOf: unsplit, encoding: .utf8))
        #expect(expected.count > 100, "\(unsplitGateway.logText.suffix(2000))")
        #expect(
            LivePipelineTests.text(of: try String(contentsOf: split, encoding: .utf8)) == expected,
            "\(gateway.logText.suffix(3000))")
        #expect(gateway.logText.contains("(mutual TLS)"), "\(gateway.logText.suffix(3000))")
        let stageLog = try String(contentsOf: gateway.folder.appendingPathComponent("stage.log"), encoding: .utf8)
        #expect(stageLog.contains("open (mutual TLS)"), "\(stageLog)")
    }
}
