import BatchgateTestSupport
import Foundation
import Glibc
import Testing

extension LiveGatewayTests {
    /// Request fields that once took a model down or answered 500, against the real gateway and worker processes.
    @Suite("Request bounds, live")
    struct RequestBounds {
        /// POSTs `body` (JSON) to the chat route; returns the status and the decoded answer.
        func chat(_ gateway: LiveGateway, _ body: [String: Any]) throws -> (status: Int, json: [String: Any]) {
            let file = gateway.folder.appendingPathComponent("body-\(UUID().uuidString).json")
            try JSONSerialization.data(withJSONObject: body).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let (output, _) = try gateway.curl([
                "-w", "\n%{http_code}", gateway.url("/v1/chat/completions"), "-H",
                "Authorization: Bearer \(LiveGateway.key)",
                "-H", "Content-Type: application/json", "--data-binary", "@\(file.path)",
            ])
            let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
            let status = Int(lines.last ?? "") ?? 0
            let text = lines.dropLast().joined(separator: "\n")
            let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            return (status, json)
        }

        func request(_ extra: [String: Any]) -> [String: Any] {
            var body: [String: Any] = [
                "model": "tiny", "messages": [["role": "user", "content": "Hi"]], "max_tokens": 4, "ignore_eos": true,
            ]
            body.merge(extra) { $1 }
            return body
        }

        func errorParam(_ json: [String: Any]) -> String? {
            (json["error"] as? [String: Any])?["param"] as? String
        }

        func content(_ json: [String: Any]) -> String? {
            let choice = (json["choices"] as? [[String: Any]])?.first
            return (choice?["message"] as? [String: Any])?["content"] as? String
        }

        func completionTokens(_ json: [String: Any]) -> Int? {
            (json["usage"] as? [String: Any])?["completion_tokens"] as? Int
        }

        @Test("A logit_bias larger than the vocabulary, or naming a token twice, is a 400 naming the field")
        func logitBiasBounded() throws {
            let gateway = try LiveGateway()
            // The probe's request: 66,000 entries (0.85 MB), on a model of 512 tokens.
            let huge = Dictionary(uniqueKeysWithValues: (0..<66_000).map { ("\($0)", -1) })
            let (status, json) = try chat(gateway, request(["logit_bias": huge]))
            #expect(status == 400)
            #expect(errorParam(json) == "logit_bias")
            let (twiceStatus, twice) = try chat(gateway, request(["logit_bias": ["7": 1, "007": 2]]))
            #expect(twiceStatus == 400)
            #expect(errorParam(twice) == "logit_bias")
            #expect(
                (twice["error"] as? [String: Any])?["message"] as? String
                    == "'logit_bias' names token 7 twice ('007' and '7')")
            // The model is still up and answers.
            let (okStatus, ok) = try chat(gateway, request([:]))
            #expect(okStatus == 200)
            #expect(completionTokens(ok) == 4)
            #expect(try gateway.metric("batchgate_worker_restarts_total") ?? 0 == 0)
        }

        @Test("Concurrent requests that bias every token of a 32,000-token vocabulary all answer; no worker restarts")
        func wholeVocabularyBiases() throws {
            let gateway = try LiveGateway(vocabulary: nil)
            // 32,000 entries of 8 bytes: each request's sampling parameters take 256 KB, and three waiting together do
            // not fit one step of the model's 1 MiB ring (records of at most 512 KiB): the scheduler splits the step.
            let all = Dictionary(uniqueKeysWithValues: (0..<32_000).map { ("\($0)", 0.5) })
            let file = gateway.folder.appendingPathComponent("all-tokens.json")
            try JSONSerialization.data(withJSONObject: request(["logit_bias": all])).write(to: file)
            // Three curl processes at once, so the three requests wait in the queue together.
            let clients = try (0..<3).map { index -> (Process, URL) in
                let output = gateway.folder.appendingPathComponent("answer-\(index).json")
                let curl = Process()
                curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                curl.arguments = [
                    "-s", "--cacert", gateway.certificate, "--max-time", "120", "-o", output.path, "-w", "%{http_code}",
                    gateway.url("/v1/chat/completions"), "-H", "Authorization: Bearer \(LiveGateway.key)", "-H",
                    "Content-Type: application/json", "--data-binary", "@\(file.path)",
                ]
                let pipe = Pipe()
                curl.standardOutput = pipe
                try curl.run()
                return (curl, output)
            }
            for (curl, output) in clients {
                let status = String(
                    decoding: (curl.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                curl.waitUntilExit()
                let answer = (try? Data(contentsOf: output)) ?? Data()
                let json = (try? JSONSerialization.jsonObject(with: answer)) as? [String: Any] ?? [:]
                #expect(status == "200", "\(String(decoding: answer, as: UTF8.self))")
                #expect(completionTokens(json) == 4)
            }
            #expect(try gateway.metric("batchgate_worker_restarts_total") ?? 0 == 0)
            #expect(
                try gateway.curl(["-o", "/dev/null", "-w", "%{http_code}", gateway.url("/health/ready")]).output
                    == "200")
        }

        @Test("top_p 0, and one too small for a float, decode greedily instead of failing", arguments: [0.0, 1e-300])
        func tinyTopP(topP: Double) throws {
            let gateway = try LiveGateway()
            let (greedyStatus, greedy) = try chat(gateway, request(["temperature": 0, "max_tokens": 8]))
            #expect(greedyStatus == 200)
            let (status, json) = try chat(gateway, request(["top_p": topP, "temperature": 1.5, "max_tokens": 8]))
            #expect(status == 200, "\(json)")
            #expect(content(json) == content(greedy))
            #expect(content(json) != nil)
        }

        @Test(
            "A client that leaves while its worker gives no tokens frees its quota slot at once, not at the next token")
        func clientLeavesWithoutTokens() throws {
            let gateway = try LiveGateway(
                keys: LiveGateway.keysYAML([("single", "bg-single", "{concurrent_requests: 1}")]))
            let gauge = "batchgate_quota_concurrent_requests{model=\"tiny\",key=\"single\"}"
            let workers = gateway.workerPIDs
            try #require(!workers.isEmpty)
            // A stopped worker answers no step (as a crash-looping one does not); the gateway counts it dead only after
            // its heartbeat has stood still for 5 s.
            for pid in workers { kill(pid, SIGSTOP) }
            defer { for pid in workers { kill(pid, SIGCONT) } }
            let client = Process()
            client.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            client.arguments = [
                "-s", "--cacert", gateway.certificate, "--max-time", "1", "-o", "/dev/null",
                gateway.url("/v1/completions"),
                "-H", "Authorization: Bearer bg-single", "-H", "Content-Type: application/json", "-d",
                #"{"model":"tiny","prompt":"Hello","max_tokens":8}"#,
            ]
            try client.run()
            let started = Date()
            var held = try gateway.metric(gauge)
            while held != 1, Date().timeIntervalSince(started) < 1 {
                usleep(20_000)
                held = try gateway.metric(gauge)
            }
            #expect(held == 1, "the request never took its slot")
            client.waitUntilExit()
            let left = Date()
            while try gateway.metric(gauge) != 0, Date().timeIntervalSince(left) < 2 { usleep(20_000) }
            #expect(try gateway.metric(gauge) == 0, "the slot is still held: \(gateway.logText.suffix(2000))")
            #expect(
                Date().timeIntervalSince(started) < 4.5, "the worker was declared dead first; the test proves nothing")
        }
    }
}
