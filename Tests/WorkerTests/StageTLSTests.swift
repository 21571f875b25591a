import Basics
import BatchgateTestSupport
import Foundation
import Glibc
import InferenceCore
import Synchronization
import Testing
import WorkerProtocol
import WorkerTransport

@testable import Worker

/// Pipeline links over mutual TLS, with certificates made by openssl in the test: `batchgate stage` processes on
/// loopback ports, the first stage's engine in the test (`FirstStage.engine` with `StageLinkSecurity.tls`).
@Suite("Pipeline stage links over mutual TLS", .serialized)
struct StageTLSTests {
    /// A `batchgate stage` process serving `layers` of `model` on a free loopback port, its output in a log file.
    final class StageProcess {
        let process = Process()
        let port: Int
        let log: URL

        init(model: String, layers: String, flags: [String], log: URL) throws {
            port = try LoopbackPort.free()
            self.log = log
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: try WorkerSupport.executable())
            process.arguments =
                [
                    "stage", "--model", model, "--layers", layers, "--listen", "127.0.0.1:\(port)", "--threads", "1",
                    "--kv-cache-mib", "16",
                ] + flags
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            guard waitForLog("on 127.0.0.1:\(port)", within: 20) else {
                throw StageStartError(log: logText)
            }
        }

        deinit {
            guard process.processIdentifier != 0 else { return }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        var address: StageAddress { StageAddress(host: "127.0.0.1", port: port) }

        var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        /// Whether the log holds `text` within `seconds`.
        func waitForLog(_ text: String, within seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if logText.contains(text) { return true }
                guard process.isRunning else { return logText.contains(text) }
                usleep(20_000)
            }
            return false
        }
    }

    /// The stage did not come up.
    struct StageStartError: Error, CustomStringConvertible {
        let log: String
        var description: String { "the stage did not start:\n\(log)" }
    }

    /// A four-layer model and, beside it, the cluster's CA, a stranger's CA, and leaves: `stage` (127.0.0.1) and
    /// `first` from the cluster's CA; `stranger` (a client) and `rogue-stage` (127.0.0.1) from the other CA;
    /// `misnamed-stage`, the cluster's CA's, for the host node-b only.
    static func setup() throws -> (model: String, certificates: TestCertificates) {
        let model = try WorkerSupport.tinyModel(layers: 4, vocabulary: 512)
        let certificates = try TestCertificates(
            in: URL(fileURLWithPath: (model as NSString).deletingLastPathComponent))
        try certificates.leaf("stage", subjectAltName: "IP:127.0.0.1")
        try certificates.leaf("first")
        try certificates.leaf("stranger", signedBy: "other-ca")
        try certificates.leaf("rogue-stage", signedBy: "other-ca", subjectAltName: "IP:127.0.0.1")
        try certificates.leaf("misnamed-stage", subjectAltName: "DNS:node-b")
        return (model, certificates)
    }

    /// `batchgate stage`'s TLS flags for the leaf `name`, trusting the cluster's CA.
    static func stageFlags(_ certificates: TestCertificates, _ name: String = "stage") -> [String] {
        [
            "--tls-certificate", certificates.path("\(name).pem"), "--tls-key", certificates.path("\(name).key"),
            "--tls-ca", certificates.path("ca.pem"),
        ]
    }

    /// The first stage's TLS with the leaf `name`, trusting the cluster's CA.
    static func client(_ certificates: TestCertificates, _ name: String = "first") throws -> StageLinkSecurity {
        .tls(
            try StageTLS(
                .client,
                files: StageTLSFiles(
                    certificate: certificates.path("\(name).pem"), key: certificates.path("\(name).key"),
                    ca: certificates.path("ca.pem"))))
    }

    static var options: EngineOptions {
        var options = EngineOptions()
        options.prefixCaching = false
        options.kvCacheMiB = 16
        return options
    }

    /// The message of what `body` throws; nil when it does not throw.
    static func failure(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("A model split over two stages, the later a `batchgate stage` over mutual TLS, gives the unsplit logits")
    func identical() throws {
        let (model, certificates) = try Self.setup()
        defer { try? FileManager.default.removeItem(at: certificates.folder) }
        let stage = try StageProcess(
            model: model, layers: "2-3", flags: Self.stageFlags(certificates),
            log: certificates.folder.appendingPathComponent("stage.log"))
        let failures = Mutex<[String]>([])
        let security = try Self.client(certificates)
        let first = try FirstStage.engine(
            modelPath: model, addresses: [stage.address], options: Self.options, security: { _ in security },
            onFailure: { reason in failures.withLock { $0.append(reason) } })
        let unsplit = Engine(weights: try ModelWeights(path: model), options: Self.options)
        #expect(try PipelineScript.run(first, vocabulary: 512) == PipelineScript.run(unsplit, vocabulary: 512))
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(stage.logText.contains("open (mutual TLS)"), "\(stage.logText)")
    }

    @Test("A stage refuses a client without a certificate or with another CA's, says why, and serves the next")
    func clientsRefused() throws {
        let (model, certificates) = try Self.setup()
        defer { try? FileManager.default.removeItem(at: certificates.folder) }
        let stage = try StageProcess(
            model: model, layers: "2-3", flags: Self.stageFlags(certificates),
            log: certificates.folder.appendingPathComponent("stage.log"))

        // No certificate at all: openssl's client, which completes its side of a TLS 1.3 handshake and hangs up.
        let bare = Process()
        bare.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        bare.arguments = [
            "s_client", "-connect", "127.0.0.1:\(stage.port)", "-CAfile", certificates.path("ca.pem"), "-tls1_3",
        ]
        bare.standardInput = FileHandle.nullDevice
        bare.standardOutput = FileHandle.nullDevice
        bare.standardError = FileHandle.nullDevice
        try bare.run()
        bare.waitUntilExit()
        #expect(stage.waitForLog("the client presented no certificate", within: 10), "\(stage.logText)")

        // A certificate from another CA: the stage refuses it and the first stage is told so.
        let stranger = try Self.client(certificates, "stranger")
        let refused = Self.failure {
            _ = try FirstStage.engine(
                modelPath: model, addresses: [stage.address], options: Self.options, security: { _ in stranger },
                onFailure: { _ in })
        }
        #expect(refused?.contains("the stage refused this node's client certificate") == true, "\(refused ?? "")")
        #expect(
            stage.waitForLog("the client's certificate does not chain to --tls-ca", within: 10), "\(stage.logText)")

        // The next good client is served.
        let security = try Self.client(certificates)
        let first = try FirstStage.engine(
            modelPath: model, addresses: [stage.address], options: Self.options, security: { _ in security },
            onFailure: { _ in })
        let output = try first.step(
            StepBatch(admits: [.init(sequence: 1, tokens: [1, 2, 3], sampling: PipelineScript.sampling)]))
        #expect(output.results.count == 1)
        #expect(stage.process.isRunning)
    }

    @Test("A first stage refuses a stage whose certificate another CA signed, or that names another host")
    func stagesRefused() throws {
        let (model, certificates) = try Self.setup()
        defer { try? FileManager.default.removeItem(at: certificates.folder) }
        let security = try Self.client(certificates)
        for (name, expected) in [
            ("rogue-stage", "the stage's certificate does not chain to the CA bundle"),
            ("misnamed-stage", "the stage's certificate does not name the host it was dialled as"),
        ] {
            let stage = try StageProcess(
                model: model, layers: "2-3", flags: Self.stageFlags(certificates, name),
                log: certificates.folder.appendingPathComponent("\(name).log"))
            let failures = Mutex<[String]>([])
            let message = Self.failure {
                _ = try FirstStage.engine(
                    modelPath: model, addresses: [stage.address], options: Self.options, security: { _ in security },
                    onFailure: { reason in failures.withLock { $0.append(reason) } })
            }
            #expect(message?.contains(expected) == true, "\(message ?? "")")
            #expect(message?.contains("127.0.0.1:\(stage.port)") == true, "\(message ?? "")")
            #expect(failures.withLock { $0 }.isEmpty, "no link was up to fail")
            if name == "rogue-stage" {
                // The first stage's alert ends the stage's handshake too. (A misnamed stage's handshake completes
                // on its side before the first stage checks the name and hangs up.)
                #expect(stage.waitForLog("the client refused this stage's certificate", within: 10), "\(stage.logText)")
            }
        }
    }

    @Test("Plain TCP against TLS fails within the link timeout with a clear error on both ends, either way round")
    func plainAgainstTLS() throws {
        let (model, certificates) = try Self.setup()
        defer { try? FileManager.default.removeItem(at: certificates.folder) }
        var timing = RemoteStage.Timing()
        timing.linkTimeout = .seconds(1)

        // A plain first stage, a TLS stage: the stage waits for a handshake that never comes.
        let tlsStage = try StageProcess(
            model: model, layers: "2-3", flags: Self.stageFlags(certificates),
            log: certificates.folder.appendingPathComponent("tls-stage.log"))
        let started = ContinuousClock.now
        let plainFailure = Self.failure {
            _ = try FirstStage.engine(
                modelPath: model, addresses: [tlsStage.address], options: Self.options, timing: timing,
                onFailure: { _ in })
        }
        #expect(ContinuousClock.now - started < .seconds(4))
        #expect(plainFailure?.contains("waits for a TLS handshake") == true, "\(plainFailure ?? "")")
        #expect(
            tlsStage.waitForLog("closed the connection before completing a TLS handshake", within: 10),
            "\(tlsStage.logText)")

        // A TLS first stage, a plain stage: its hello is no ServerHello.
        let plainStage = try StageProcess(
            model: model, layers: "2-3", flags: ["--trusted-network"],
            log: certificates.folder.appendingPathComponent("plain-stage.log"))
        let security = try Self.client(certificates)
        let tlsFailure = Self.failure {
            _ = try FirstStage.engine(
                modelPath: model, addresses: [plainStage.address], options: Self.options, timing: timing,
                security: { _ in security }, onFailure: { _ in })
        }
        #expect(tlsFailure?.contains("answered in plain TCP") == true, "\(tlsFailure ?? "")")
        #expect(
            plainStage.waitForLog("began a TLS handshake on a plain-TCP link", within: 10), "\(plainStage.logText)")
        #expect(tlsStage.process.isRunning && plainStage.process.isRunning)
    }

    @Test("A worker refuses a stage with neither TLS files nor a plain-TCP mark, and the stage command both or neither")
    func neitherTLSNorTrusted() throws {
        var arguments = WorkerArguments(
            modelPath: "/m.gguf", modelName: "m", threads: 1, kvCacheMiB: 16, maxBatchTokens: 64)
        arguments.stages = ["10.0.0.2:7070", "10.0.0.3:7070"]
        arguments.plainStages = ["10.0.0.2:7070"]
        let addresses = arguments.stages.compactMap { StageAddress($0) }
        let message = Self.failure { _ = try WorkerProcess.linkSecurity(arguments, addresses: addresses) }
        #expect(message?.contains("the link to the stage at 10.0.0.3:7070 has no TLS") == true, "\(message ?? "")")
        arguments.plainStages += ["10.0.0.3:7070"]
        let security = try WorkerProcess.linkSecurity(arguments, addresses: addresses)
        #expect(security.count == 2)

        let model = try WorkerSupport.tinyModel(layers: 4, vocabulary: 512)
        defer { try? FileManager.default.removeItem(atPath: (model as NSString).deletingLastPathComponent) }
        for flags in [[], ["--trusted-network", "--tls-certificate", "x.pem", "--tls-key", "x.key", "--tls-ca", "ca"]] {
            let (text, status) = try ProcessOutput.run(
                try WorkerSupport.executable(),
                ["stage", "--model", model, "--layers", "2-3", "--listen", "127.0.0.1:1"] + flags)
            #expect(status != 0)
            #expect(text.contains(flags.isEmpty ? "needs mutual TLS" : "not both"), "\(text)")
        }
    }
}
