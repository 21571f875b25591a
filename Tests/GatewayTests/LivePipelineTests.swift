import BatchgateTestSupport
import Foundation
import Glibc
import Testing

/// A model split into two pipeline stages behind a real gateway: the gateway's worker runs layer 0 and a
/// `batchgate stage` process layer 1, on loopback.
@Suite("Live pipeline", .serialized)
struct LivePipelineTests {
    /// A `batchgate stage` process serving layer 1 of `model` on `port`, plain TCP unless `flags` say otherwise.
    static func startStage(
        model: String, port: Int, log: URL, flags: [String] = ["--trusted-network"]
    ) throws -> Process {
        let stage = Process()
        stage.executableURL = URL(fileURLWithPath: try WorkerSupport.executable())
        stage.arguments =
            [
                "stage", "--model", model, "--layers", "1-1", "--listen", "127.0.0.1:\(port)", "--threads", "1",
                "--kv-cache-mib", "16",
            ] + flags
        if !FileManager.default.fileExists(atPath: log.path) {
            FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        stage.standardOutput = handle
        stage.standardError = handle
        try stage.run()
        // Ready once it accepts a connection (the model is small: well under a second).
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if (try? String(contentsOf: log, encoding: .utf8))?.contains("on 127.0.0.1:\(port)") == true {
                return stage
            }
            usleep(50_000)
        }
        throw LiveGatewayError("the stage did not start")
    }

    /// The tokens' text of an SSE body, in order.
    static func text(of body: String) -> String {
        body.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("data: {"),
                let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any],
                let choice = (object["choices"] as? [[String: Any]])?.first,
                let delta = choice["delta"] as? [String: Any]
            else { return nil }
            return delta["content"] as? String
        }.joined()
    }

    /// Streams a greedy completion of `tokens` tokens into `output` with curl in the background.
    static func stream(_ gateway: LiveGateway, tokens: Int, output: URL) throws -> Process {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = [
            "-s", "-N", "--cacert", gateway.certificate, "--max-time", "120", "-o", output.path,
            gateway.url("/v1/chat/completions"), "-H", "Authorization: Bearer \(LiveGateway.key)", "-H",
            "Content-Type: application/json", "-d",
            #"{"model":"tiny","messages":[{"role":"user","content":"go"}],"stream":true,"ignore_eos":true,"#
                + #""temperature":0,"max_tokens":\#(tokens)}"#,
        ]
        try curl.run()
        return curl
    }

    @Test("A stage killed mid-stream and restarted: the stream finishes with the tokens of an uninterrupted run")
    func stageKilledMidStream() throws {
        let port = try LoopbackPort.free()
        var stage: Process?
        var stageLog: URL?
        let gateway = try LiveGateway(
            kvCacheMiB: 16,
            // `pipeline:` and its items, each line indented in full.
            modelLines: "    pipeline:\n      - host: local\n        layers: \"0-0\"\n"
                + "      - host: 127.0.0.1:\(port)\n        layers: \"1-1\"\n        trusted_network: true\n"
        ) { folder in
            stageLog = folder.appendingPathComponent("stage.log")
            stage = try Self.startStage(
                model: folder.appendingPathComponent("tiny.gguf").path, port: port, log: stageLog!)
            return ("", [])
        }
        defer { if let stage, stage.isRunning { kill(stage.processIdentifier, SIGKILL) } }
        let tokens = 3000
        // The reference: the same greedy stream, uninterrupted.
        let reference = gateway.folder.appendingPathComponent("reference.sse")
        let first = try Self.stream(gateway, tokens: tokens, output: reference)
        first.waitUntilExit()
        let expected = Self.text(of: try String(contentsOf: reference, encoding: .utf8))
        #expect(expected.count > 1000, "\(gateway.logText.suffix(2000))")

        let interrupted = gateway.folder.appendingPathComponent("interrupted.sse")
        let second = try Self.stream(gateway, tokens: tokens, output: interrupted)
        // Kill the stage once the stream is under way, and bring it back on the same port.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, ((try? Data(contentsOf: interrupted))?.count ?? 0) < 4096 { usleep(5_000) }
        let killedAt = (try? Data(contentsOf: interrupted))?.count ?? 0
        kill(stage!.processIdentifier, SIGKILL)
        stage!.waitUntilExit()
        usleep(300_000)
        stage = try Self.startStage(
            model: gateway.folder.appendingPathComponent("tiny.gguf").path, port: port, log: stageLog!)
        second.waitUntilExit()
        let body = try String(contentsOf: interrupted, encoding: .utf8)
        #expect(killedAt < body.utf8.count / 2, "the stage was killed too late to interrupt the stream")
        #expect(gateway.logText.contains("pipeline link failed"), "\(gateway.logText.suffix(3000))")
        #expect(Self.text(of: body) == expected)
        #expect(body.contains("data: [DONE]"))
    }
}
