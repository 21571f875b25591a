import BatchgateConfig
import BatchgateTestSupport
import Foundation
import Glibc
import OpenAIAPI
import Synchronization
import Testing

/// The real gateway process over TLS, with real worker processes, driven by real clients.
@Suite("Live gateway", .serialized)
struct LiveGatewayTests {
    /// The Python of the test environment (`make test` sets it to .venv's, which has the openai package).
    static var python: String {
        ProcessInfo.processInfo.environment["BATCHGATE_PYTHON"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".venv/bin/python").path
    }

    /// Runs `Python/NAME` against `gateway` with the openai client; returns its exit status and output.
    func runClient(
        _ name: String, against gateway: LiveGateway, key: String = LiveGateway.key, arguments: [String] = [],
        while during: () -> Void = {}
    ) throws -> (status: Int32, output: String) {
        try #require(FileManager.default.isExecutableFile(atPath: Self.python), "no \(Self.python): run `make venv`")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Python/\(name)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [script.path, gateway.url("/v1"), key, gateway.certificate, "tiny"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        during()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test("The official openai client runs chat and completions, streamed and not, and gets OpenAI shapes")
    func openaiClient() throws {
        let gateway = try LiveGateway()
        let (status, output) = try runClient("openai_live.py", against: gateway)
        #expect(status == 0, "\(output)\n--- gateway log ---\n\(gateway.logText)")
        #expect(output.contains("all checks passed"))
    }

    @Test(
        "The openai client parses a Pydantic model and runs a tool-call round trip on the demo model, streamed or not")
    func openaiStructuredOutput() throws {
        let gateway = try LiveGateway(
            modelFile: try WorkerSupport.smolLM2(), chatTemplate: "auto", kvCacheMiB: 64)
        let (status, output) = try runClient("openai_structured.py", against: gateway)
        #expect(status == 0, "\(output)\n--- gateway log ---\n\(gateway.logText)")
        #expect(output.contains("all checks passed"))
    }

    @Test("The demo model's answers at temperature 1 validate under their schemas through the gateway, 6 seeds each")
    func demoModelSchemas() throws {
        let picked = SchemaSuite.schemas.filter {
            // Schemas whose values are bounded, so that every answer ends within its token limit.
            [
                "enum of strings", "integer range", "number range", "string lengths", "refs", "date", "uuid",
                "pattern phone", "array exactly three", "definitions and enum (Pydantic v1 style)",
            ].contains($0.name)
        }
        try #require(picked.count == 10)
        let gateway = try LiveGateway(
            modelFile: try WorkerSupport.smolLM2(), chatTemplate: "auto", kvCacheMiB: 64)
        let seeds = 1...6
        let jobs = picked.flatMap { entry in seeds.map { (entry.name, entry.schema, $0) } }
        let answers = Mutex([String?](repeating: nil, count: jobs.count))
        let (certificate, url) = (gateway.certificate, gateway.url("/v1/chat/completions"))
        DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
            let (_, schema, seed) = jobs[index]
            let body =
                #"{"model":"tiny","messages":[{"role":"user","content":"Answer with JSON."}],"temperature":1,"#
                + #""seed":\#(seed),"max_tokens":300,"response_format":{"type":"json_schema","json_schema":"#
                + #"{"name":"s","schema":\#(schema)}}}"#
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = [
                "-s", "--cacert", certificate, "--max-time", "300", "-H", "Authorization: Bearer \(LiveGateway.key)",
                "-H", "Content-Type: application/json", "-d", body, url,
            ]
            let pipe = Pipe()
            curl.standardOutput = pipe
            try? curl.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            curl.waitUntilExit()
            answers.withLock { $0[index] = output }
        }
        var cases: [(schema: String, outputs: [String])] = []
        for (index, (name, schema, seed)) in jobs.enumerated() {
            let text = answers.withLock { $0[index] } ?? ""
            let choice = try? JSONDecoder().decode(CompletionResponse.self, from: Data(text.utf8)).choices.first
            #expect(choice?.finishReason == "stop", "\(name), seed \(seed): \(text)")
            if cases.last?.schema != schema { cases.append((schema, [])) }
            cases[cases.count - 1].outputs.append(choice?.message?.content ?? "")
        }
        let problems = try SchemaValidator.problems(cases)
        for ((name, _), (found, (_, outputs))) in zip(picked, zip(problems, cases)) {
            for (index, error) in found.prefix(3) { Issue.record("\(name): \(outputs[index]) is invalid: \(error)") }
        }
    }

    @Test("The openai client's automatic retries wait for our Retry-After when the queue is full, then succeed")
    func retryAfter() throws {
        let gateway = try LiveGateway(maxRunning: 1, maxQueue: 1)
        let (status, output) = try runClient("openai_retry.py", against: gateway, arguments: ["2", "503"])
        print(output)
        #expect(status == 0, "\(output)\n--- gateway log ---\n\(gateway.logText.suffix(4000))")
        #expect(output.contains("each retried after its Retry-After"))
    }

    @Test("SIGTERM during 8 streams lets every stream finish, then the gateway exits 0")
    func gracefulShutdown() throws {
        let gateway = try LiveGateway()
        let outputs = (0..<8).map { gateway.folder.appendingPathComponent("stream-\($0).txt") }
        let streams = try outputs.map { try gateway.startStream(maxTokens: 48, output: $0) }
        // Wait until every stream has started sending.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline,
            !outputs.allSatisfy({ ((try? Data(contentsOf: $0))?.count ?? 0) > 0 })
        {
            usleep(20_000)
        }
        kill(gateway.process.processIdentifier, SIGTERM)
        for stream in streams { stream.waitUntilExit() }
        gateway.process.waitUntilExit()
        #expect(gateway.process.terminationReason == .exit)
        #expect(gateway.process.terminationStatus == 0, "\(gateway.logText)")
        for output in outputs {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(text.hasSuffix("data: [DONE]\n\n"), "a stream was cut: \(text.suffix(200))")
            #expect(text.contains(#""finish_reason":"length""#))
        }
        // New connections are refused once it is gone.
        #expect(try gateway.curl([gateway.url("/health/live")]).status != 0)
    }

    @Test("A client that disconnects mid-stream frees its slot (visible in metrics) within a step")
    func disconnectFreesSlot() throws {
        let gateway = try LiveGateway()
        let output = gateway.folder.appendingPathComponent("cut.txt")
        let stream = try gateway.startStream(maxTokens: 4000, output: output)
        let deadline = Date().addingTimeInterval(30)
        let gauge = "batchgate_num_requests_running{model=\"tiny\"}"
        while Date() < deadline, try gateway.metric(gauge) != 1 { usleep(10_000) }
        #expect(try gateway.metric(gauge) == 1)
        kill(stream.processIdentifier, SIGKILL)
        stream.waitUntilExit()
        let cut = Date()
        var running = try gateway.metric("batchgate_num_requests_running{model=\"tiny\"}")
        while running != 0, Date().timeIntervalSince(cut) < 5 {
            usleep(20_000)
            running = try gateway.metric("batchgate_num_requests_running{model=\"tiny\"}")
        }
        #expect(running == 0, "\(gateway.logText)")
        #expect(gateway.logText.contains("status=499"), "\(gateway.logText)")
    }

    @Test(
        "A 100 MB body gets 413 from its declared length, over HTTP/1.1 and HTTP/2",
        arguments: ["--http1.1", "--http2"])
    func hugeBody(version: String) throws {
        let gateway = try LiveGateway()
        let body = gateway.folder.appendingPathComponent("huge.json")
        #expect(FileManager.default.createFile(atPath: body.path, contents: nil))
        let handle = try FileHandle(forWritingTo: body)
        try handle.truncate(atOffset: 100 << 20)
        try handle.close()
        let started = Date()
        let answer = try gateway.curl([
            version,
            "-w", "\n%{http_code}", "-H", "Authorization: Bearer \(LiveGateway.key)", "-H",
            "Content-Type: application/json", "--data-binary", "@\(body.path)", gateway.url("/v1/completions"),
        ])
        #expect(answer.output.hasSuffix("\n413"), "\(answer.output)")
        #expect(answer.output.contains("body_too_large"))
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(
            try gateway.curl(["-o", "/dev/null", "-w", "%{http_code}", gateway.url("/health/live")]).output == "200")
    }

    /// A new key works, a removed one is refused, a changed quota applies next, unchanged counters keep their
    /// state, a broken file changes nothing, and no stream is dropped.
    @Test("Reloads while streams run change keys and quotas atomically and drop no stream")
    func reloadUnderLoad() throws {
        let keys = [
            (name: "steady", key: "bg-steady", quota: "{requests_per_minute: 3}" as String?),
            (name: "changing", key: "bg-changing", quota: "{requests_per_minute: 5}"),
        ]
        let gateway = try LiveGateway(keys: LiveGateway.keysYAML(keys))
        func status(_ key: String) throws -> String {
            try gateway.curl([
                "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(key)", "-H",
                "Content-Type: application/json", "-d", #"{"model":"tiny","prompt":"x","max_tokens":1}"#,
                gateway.url("/v1/completions"),
            ]).output
        }
        /// Rewrites the file and reloads, through `batchgate config reload` or a plain SIGHUP; waits for the log.
        func reload(_ yaml: String, command: Bool) throws {
            let file = gateway.folder.appendingPathComponent("batchgate.yaml")
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            let before = gateway.logText.components(separatedBy: "reload").count
            if command {
                let tool = Process()
                tool.executableURL = URL(fileURLWithPath: try WorkerSupport.executable())
                tool.arguments = ["config", "reload", file.path]
                try tool.run()
                tool.waitUntilExit()
                #expect(tool.terminationStatus == 0)
            } else {
                kill(gateway.process.processIdentifier, SIGHUP)
            }
            let deadline = Date().addingTimeInterval(15)
            while gateway.logText.components(separatedBy: "reload").count == before, Date() < deadline {
                usleep(20_000)
            }
        }
        let original = try String(
            contentsOf: gateway.folder.appendingPathComponent("batchgate.yaml"), encoding: .utf8)
        // Streams of the key that the first reload removes.
        let outputs = (0..<4).map { gateway.folder.appendingPathComponent("reload-stream-\($0).txt") }
        let streams = try outputs.map { try gateway.startStream(maxTokens: 3000, output: $0) }
        for _ in 0..<2 { #expect(try status("bg-steady") == "200") }
        #expect(try status("bg-newbie") == "401")

        // Reload 1: "live" removed, "newbie" added, "changing" down to 1 a minute, "steady" untouched.
        var changed = original.replacingOccurrences(of: "{requests_per_minute: 5}", with: "{requests_per_minute: 1}")
        changed = changed.replacingOccurrences(
            of: APIKeyDigest.sha256Hex(of: LiveGateway.key), with: APIKeyDigest.sha256Hex(of: "bg-newbie"))
        try reload(changed, command: true)
        #expect(try status("bg-newbie") == "200", "\(gateway.logText.suffix(2000))")
        #expect(try status(LiveGateway.key) == "401")
        #expect(try status("bg-changing") == "200")
        #expect(try status("bg-changing") == "429")
        // "steady" had used 2 of 3: one more passes, then it is refused.
        #expect(try status("bg-steady") == "200")
        #expect(try status("bg-steady") == "429")

        // Reload 2: a broken file changes nothing.
        try reload(changed + "\nnot_a_key: [", command: false)
        #expect(gateway.logText.contains("reload refused"))
        #expect(try status("bg-newbie") == "200")
        #expect(try status(LiveGateway.key) == "401")

        // The streams of the removed key were untouched.
        for stream in streams { stream.waitUntilExit() }
        for output in outputs {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(text.hasSuffix("data: [DONE]\n\n"), "a stream was dropped: \(text.suffix(300))")
        }
        #expect(gateway.process.isRunning)
    }

    @Test("Over a concurrency quota, the openai client's retries wait for our Retry-After on the 429, then succeed")
    func retryAfterQuota() throws {
        let gateway = try LiveGateway(
            keys: LiveGateway.keysYAML([("one", "bg-one-at-a-time", "{concurrent_requests: 1}")]))
        let (status, output) = try runClient(
            "openai_retry.py", against: gateway, key: "bg-one-at-a-time", arguments: ["1", "429"])
        print(output)
        #expect(status == 0, "\(output)\n--- gateway log ---\n\(gateway.logText.suffix(4000))")
        #expect(output.contains("each retried after its Retry-After"))
    }

    @Test("1,000 requests against a concurrency quota, ended every way (workers killed too), leave every slot free")
    func noSlotLeaks() throws {
        // The quota (3) is the scheduler's whole room (2 running, 1 queued), so a request beyond it meets the quota
        // (429); a queue_full refusal after the quota admitted a request still happens when a slot frees before
        // the scheduler's. With a quota of 4 the quota was only reached while a refused request still held its
        // slot, and once sampling got faster a run under the full suite saw no 429 at all.
        let gateway = try LiveGateway(
            maxRunning: 2, maxQueue: 1, keys: LiveGateway.keysYAML([("leaky", "bg-leaky", "{concurrent_requests: 3}")]))
        let (status, output) = try runClient(
            "slot_leak.py", against: gateway, key: "bg-leaky", arguments: ["1000"]
        ) {
            // Kill the worker twice while the load runs; the scheduler restarts it and requeues its streams.
            for _ in 0..<2 {
                usleep(1_500_000)
                for pid in gateway.workerPIDs { kill(pid, SIGKILL) }
            }
        }
        print(output)
        #expect(status == 0, "\(output)\n--- gateway log ---\n\(gateway.logText.suffix(3000))")
        #expect(output.contains("every slot returned"))
        #expect(gateway.logText.contains("worker died"), "no worker was killed during the load")
        let gauge = "batchgate_quota_concurrent_requests{model=\"tiny\",key=\"leaky\"}"
        let metrics = try gateway.curl([gateway.url("/metrics")]).output
        #expect(try gateway.metric(gauge) == 0, "\(metrics)")
    }

    /// Runs the openssl command line in `folder`.
    static func openssl(_ arguments: [String], in folder: URL) throws {
        let tool = Process()
        tool.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        tool.arguments = arguments
        tool.currentDirectoryURL = folder
        tool.standardOutput = FileHandle.nullDevice
        tool.standardError = FileHandle.nullDevice
        try tool.run()
        tool.waitUntilExit()
        try #require(tool.terminationStatus == 0, "openssl \(arguments.joined(separator: " "))")
    }

    static let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    @Test("SIGHUP swaps the server certificate for new handshakes")
    func certificateReload() throws {
        let gateway = try LiveGateway()
        let folder = gateway.folder
        try Self.openssl(
            ["req", "-x509"] + Self.curve + [
                "-keyout", "new-key.pem", "-out", "new-cert.pem", "-days", "2", "-subj", "/CN=localhost", "-addext",
                "subjectAltName=DNS:localhost",
            ], in: folder)
        try FileManager.default.copyItem(
            at: folder.appendingPathComponent("new-cert.pem"), to: folder.appendingPathComponent("trusted.pem"))
        let trustNew = ["--cacert", folder.appendingPathComponent("trusted.pem").path]
        /// The status of `/health/live` with `extra` curl arguments (a later `--cacert` replaces the gateway's).
        func status(_ extra: [String]) throws -> String {
            try gateway.curl(["-o", "/dev/null", "-w", "%{http_code}"] + extra + [gateway.url("/health/live")]).output
        }
        #expect(try status(trustNew) != "200", "the new certificate is not served yet")
        for (from, to) in [("new-cert.pem", "cert.pem"), ("new-key.pem", "key.pem")] {
            #expect(rename(folder.appendingPathComponent(from).path, folder.appendingPathComponent(to).path) == 0)
        }
        kill(gateway.process.processIdentifier, SIGHUP)
        let deadline = Date().addingTimeInterval(15)
        while try status(trustNew) != "200", Date() < deadline { usleep(50_000) }
        #expect(try status(trustNew) == "200", "\(gateway.logText.suffix(1000))")
    }

    @Test("With client_ca set, a client needs a certificate that CA signed (mutual TLS)")
    func mutualTLS() throws {
        let curve = Self.curve
        func openssl(_ arguments: [String], in folder: URL) throws { try Self.openssl(arguments, in: folder) }
        let gateway = try LiveGateway { folder in
            try openssl(
                ["req", "-x509"] + curve + [
                    "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-ca",
                ], in: folder)
            try openssl(
                ["req"] + curve + ["-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=client"], in: folder)
            try openssl(
                [
                    "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                    "client.pem", "-days", "2",
                ], in: folder)
            let certificate = [
                "--cert", folder.appendingPathComponent("client.pem").path, "--key",
                folder.appendingPathComponent("client.key").path,
            ]
            return ("  client_ca: ca.pem", certificate)
        }
        let withCertificate = try gateway.curl(["-o", "/dev/null", "-w", "%{http_code}", gateway.url("/health/live")])
        #expect(withCertificate.output == "200")
        gateway.curlArguments = []
        let without = try gateway.curl(["-o", "/dev/null", "-w", "%{http_code}", gateway.url("/health/live")])
        #expect(without.output != "200")
        #expect(without.status != 0, "the handshake must fail without a client certificate")
    }

    @Test("batchgate bench against the gateway reports the output-token throughput its /metrics counted, within 5%")
    func benchAgreesWithMetrics() throws {
        // The whole llama-spm vocabulary, so that prompts of an exact token length can be made of words.
        let gateway = try LiveGateway(vocabulary: nil)
        let counter = "batchgate_generation_tokens_total{model=\"tiny\"}"
        let before = try gateway.metric(counter) ?? 0
        let report = gateway.folder.appendingPathComponent("bench.json")
        let bench = Process()
        bench.executableURL = URL(fileURLWithPath: try WorkerSupport.executable())
        bench.arguments = [
            "bench", "--url", gateway.url(""), "--insecure", "--api-key", LiveGateway.key, "--rate", "20",
            "--requests", "100", "--prompt-tokens", "16", "--max-tokens", "24", "--json", report.path, "--quiet",
        ]
        let output = Pipe()
        bench.standardOutput = FileHandle.nullDevice
        bench.standardError = output
        try bench.run()
        let errors = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        bench.waitUntilExit()
        try #require(bench.terminationStatus == 0, "\(errors)")
        let after = try gateway.metric(counter) ?? 0
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        let duration = try #require(json["duration_s"] as? Double)
        let reported = try #require(json["output_token_throughput"] as? Double)
        #expect(json["requests_completed"] as? Int == 100, "\(json["errors"] ?? "")")
        #expect(json["output_tokens_total"] as? Int == 2400)
        // The gateway also counted the generator's one warm-up request, which the report leaves out.
        let counted = (after - before) / duration
        print("bench: \(reported) tokens/s; /metrics: \(counted) tokens/s over \(duration) s")
        #expect(abs(reported - counted) / counted < 0.05)
    }
}
