import BatchgateTestSupport
import Foundation
import Glibc
import Testing

extension LiveGatewayTests {
    /// The connection-level bounds of a real gateway process against misbehaving clients (issue 26): TLS handshakes,
    /// slow bodies, HTTP/1.0, and what the log says about each.
    ///
    /// Nested in `LiveGatewayTests`, whose `.serialized` then covers these too: a live test holds one thread of the test
    /// process's small pool while it waits, and two at once (one per suite) starved the in-process tests of both.
    @Suite("Live gateway bounds")
    struct Bounds {
        @Test(
            "Connections that never send a ClientHello are closed after listener.handshake_timeout; past max_pending_handshakes at once"
        )
        func handshakeBounds() throws {
            let gateway = try LiveGateway(listener: "  handshake_timeout: 3s\n  max_pending_handshakes: 4")
            let opened = Date()
            let idle = try (0..<4).map { _ in try RawSocket(port: gateway.port) }
            usleep(300_000)  // let the gateway accept the four before the fifth
            let extras = try (0..<3).map { _ in try RawSocket(port: gateway.port) }
            for extra in extras {
                #expect(extra.readUntilClosed(timeout: 2).closed, "a fifth pending handshake must be refused at once")
            }
            #expect(Date().timeIntervalSince(opened) < 2.9)
            #expect(idle.allSatisfy { !$0.isClosedByPeer }, "the four within the bound wait for their timeout")
            for socket in idle { #expect(socket.readUntilClosed(timeout: 15).closed) }
            let closedAfter = Date().timeIntervalSince(opened)
            #expect(closedAfter >= 2.5 && closedAfter < 15, "closed after \(closedAfter) s")
            // The places are given back: a real client gets through.
            let status = try gateway.curl(["-o", "/dev/null", "-w", "%{http_code}", gateway.url("/health/live")])
            #expect(status.output == "200")
            // Refusals never reach the listening channel (a failed connection setup would end its accept loop).
            #expect(!gateway.logText.contains("Waiting on child channel"), "\(gateway.logText)")
        }

        /// Runs curl posting stdin (`-T -`) to `path`, writing `first` at once and then one more byte every `interval`
        /// until curl exits or 40 s pass; returns its output (body, then the status) and the time it took.
        ///
        /// With no `interval` the body stalls after `first`: the time is until the gateway logs a 408, and stdin is
        /// closed only then (curl, blocked reading its stdin, reads the answer only after that).
        func dribble(
            _ gateway: LiveGateway, version: String, first: String, interval: TimeInterval?,
            path: String = "/v1/completions"
        ) throws -> (output: String, seconds: TimeInterval) {
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = [
                "-s", "--cacert", gateway.certificate, "--max-time", "40", version, "-X", "POST", "-T", "-", "-w",
                "\n%{http_code}", "-H", "Authorization: Bearer \(LiveGateway.key)", "-H",
                "Content-Type: application/json",
                gateway.url(path),
            ]
            let input = Pipe()
            let output = Pipe()
            curl.standardInput = input
            curl.standardOutput = output
            curl.standardError = FileHandle.nullDevice
            let timeouts = gateway.logText.components(separatedBy: "status=408").count
            let started = Date()
            try curl.run()
            input.fileHandleForWriting.write(Data(first.utf8))
            var seconds: TimeInterval
            if let interval {
                var next = Date()
                while curl.isRunning, Date().timeIntervalSince(started) < 40 {
                    if Date() >= next {
                        input.fileHandleForWriting.write(Data(" ".utf8))
                        next = Date().addingTimeInterval(interval)
                    }
                    usleep(20_000)
                }
                seconds = Date().timeIntervalSince(started)
            } else {
                while gateway.logText.components(separatedBy: "status=408").count == timeouts,
                    Date().timeIntervalSince(started) < 40
                {
                    usleep(20_000)
                }
                seconds = Date().timeIntervalSince(started)
            }
            try? input.fileHandleForWriting.close()
            let deadline = Date().addingTimeInterval(10)
            while curl.isRunning, Date() < deadline { usleep(20_000) }
            if curl.isRunning { kill(curl.processIdentifier, SIGKILL) }
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            curl.waitUntilExit()
            return (text, seconds)
        }

        /// Waits up to `timeout` for a log line holding every one of `parts`.
        func logLine(_ gateway: LiveGateway, containing parts: [String], timeout: TimeInterval = 10) -> String? {
            let deadline = Date().addingTimeInterval(timeout)
            repeat {
                if let line = gateway.logText.split(separator: "\n").first(where: { line in
                    parts.allSatisfy { line.contains($0) }
                }) {
                    return String(line)
                }
                usleep(50_000)
            } while Date() < deadline
            return nil
        }

        @Test("A stalled body (Content-Length, chunked, HTTP/2) gets 408 body_timeout after listener.body_timeout")
        func stalledBodies() throws {
            let gateway = try LiveGateway(listener: "  body_timeout: 2s\n  min_body_bytes_per_second: 0")
            for version in ["--http1.1", "--http2"] {
                let (output, seconds) = try dribble(gateway, version: version, first: #"{"model":"#, interval: nil)
                #expect(output.hasSuffix("\n408"), "\(version): \(output)")
                #expect(output.contains(#""code":"body_timeout""#), "\(version): \(output)")
                #expect(seconds < 10, "\(version): answered after \(seconds) s")
            }
            // A declared length that never arrives, over raw TLS: answered, then the connection is closed.
            let session = try TLSSession(port: gateway.port, folder: gateway.folder)
            session.send(
                "POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(LiveGateway.key)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"model\"")
            #expect(session.waitForClose(timeout: 10), "the connection must be closed after the 408")
            #expect(session.received.hasPrefix("HTTP/1.1 408"), "\(session.received)")
            #expect(session.received.contains(#""code":"body_timeout""#))
            #expect(logLine(gateway, containing: ["status=408", "error=body_timeout"]) != nil, "\(gateway.logText)")
            #expect(logLine(gateway, containing: ["status=413"], timeout: 0) == nil, "\(gateway.logText)")
        }

        @Test("A body slower than listener.min_body_bytes_per_second gets 408 once the grace period is over")
        func slowBodies() throws {
            let gateway = try LiveGateway(listener: "  body_timeout: 60s\n  min_body_bytes_per_second: 100")
            for version in ["--http1.1", "--http2"] {
                // One byte every 0.3 s: about 3 bytes a second, and the connection never idle.
                let (output, seconds) = try dribble(gateway, version: version, first: #"{"model":"#, interval: 0.3)
                #expect(output.hasSuffix("\n408"), "\(version): \(output)")
                #expect(output.contains("slower than 100 bytes per second"), "\(version): \(output)")
                #expect(seconds < 20, "\(version): answered after \(seconds) s, not by the rate")
            }
        }

        @Test("A client that leaves mid-body is logged as 499, a malformed chunk size answered 400, not 413")
        func truncatedAndMalformedBodies() throws {
            let gateway = try LiveGateway()
            let leaving = try TLSSession(port: gateway.port, folder: gateway.folder)
            leaving.send(
                "POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(LiveGateway.key)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"model\"")
            usleep(2_000_000)  // let the handshake finish and the head arrive before the client leaves
            leaving.kill()
            #expect(logLine(gateway, containing: ["status=499", "error=client_gone"]) != nil, "\(gateway.logText)")

            let malformed = try TLSSession(port: gateway.port, folder: gateway.folder)
            malformed.send(
                "POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(LiveGateway.key)\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"mod\r\nZZZ\r\n")
            #expect(malformed.waitForClose(timeout: 10))
            #expect(malformed.received.hasPrefix("HTTP/1.1 400"), "\(malformed.received)")
            #expect(malformed.received.contains(#""code":"invalid_http""#))
            #expect(logLine(gateway, containing: ["status=400", "error=invalid_http"]) != nil, "\(gateway.logText)")
            #expect(logLine(gateway, containing: ["status=413"], timeout: 0) == nil, "\(gateway.logText)")
        }

        @Test(
            "HTTP/2 DATA shorter than the stream's content-length: the stream is reset, and logged as 400 invalid_http")
        func http2LengthMismatch() throws {
            let gateway = try LiveGateway()
            let answer = try gateway.curl([
                "--http2", "-w", "\n%{http_code}", "-H", "Authorization: Bearer \(LiveGateway.key)", "-H",
                "Content-Type: application/json", "-H", "Content-Length: 100", "-d", #"{"model":"tiny"}"#,
                gateway.url("/v1/completions"),
            ])
            // A malformed HTTP/2 request is a stream error (RFC 9113, 8.1.1): NIOHTTP2 resets the stream, no answer.
            #expect(answer.status != 0, "\(answer.output)")
            #expect(
                logLine(gateway, containing: ["path=/v1/completions", "status=400", "error=invalid_http"]) != nil,
                "\(gateway.logText)")
            #expect(logLine(gateway, containing: ["status=413"], timeout: 0) == nil, "\(gateway.logText)")
        }

        @Test("An HTTP/1.0 request without keep-alive is answered with Connection: close and the connection closed")
        func http10Closes() throws {
            let gateway = try LiveGateway()
            let session = try TLSSession(port: gateway.port, folder: gateway.folder)
            session.send("GET /health/live HTTP/1.0\r\nHost: localhost\r\n\r\n")
            #expect(session.waitForClose(timeout: 10), "held open: \(session.received)")
            let answer = session.received.lowercased()
            #expect(answer.hasPrefix("http/1.0 200"), "\(session.received)")
            #expect(answer.contains("connection: close"))
            #expect(answer.contains(#"{"status":"ok"}"#))

            // With keep-alive, an answer with a length keeps the connection for a second request.
            let keep = try TLSSession(port: gateway.port, folder: gateway.folder)
            keep.send("GET /health/live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(keep.waitFor(#"{"status":"ok"}"#, timeout: 10))
            #expect(keep.received.lowercased().contains("connection: keep-alive"), "\(keep.received)")
            keep.send("GET /health/live HTTP/1.0\r\n\r\n")
            #expect(keep.waitForClose(timeout: 10))
            #expect(keep.received.components(separatedBy: #"{"status":"ok"}"#).count == 3, "\(keep.received)")
        }

        @Test("What the HTTP parser refuses gets an OpenAI-shaped 400 over TLS too")
        func parserErrorsOverTLS() throws {
            let gateway = try LiveGateway()
            let session = try TLSSession(port: gateway.port, folder: gateway.folder)
            session.send("BREW /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(session.waitForClose(timeout: 10))
            #expect(session.received.hasPrefix("HTTP/1.1 400"), "\(session.received)")
            #expect(session.received.contains(#""code":"invalid_http""#))
            #expect(session.received.contains(#""type":"invalid_request_error""#))
        }

        @Test("TLS 1.2 offers only AEAD suites unless tls.legacy_cipher_suites is set", arguments: [false, true])
        func cipherSuites(legacy: Bool) throws {
            let gateway = try LiveGateway { _ in (legacy ? "  legacy_cipher_suites: true" : "", []) }
            func handshake(_ cipher: String) throws -> Int32 {
                let tool = Process()
                tool.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
                tool.arguments = [
                    "s_client", "-connect", "127.0.0.1:\(gateway.port)", "-servername", "localhost", "-tls1_2",
                    "-cipher",
                    cipher,
                ]
                tool.standardInput = FileHandle.nullDevice
                tool.standardOutput = FileHandle.nullDevice
                tool.standardError = FileHandle.nullDevice
                try tool.run()
                let deadline = Date().addingTimeInterval(10)
                while tool.isRunning, Date() < deadline { usleep(20_000) }
                if tool.isRunning { kill(tool.processIdentifier, SIGKILL) }
                tool.waitUntilExit()
                return tool.terminationStatus
            }
            #expect(try handshake("ECDHE-ECDSA-AES128-GCM-SHA256") == 0)
            #expect(try handshake("ECDHE-ECDSA-CHACHA20-POLY1305") == 0)
            for cbc in ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA"] {
                #expect((try handshake(cbc) == 0) == legacy, "\(cbc)")
            }
        }

        @Test("/health/ready answering 503 is logged as 503")
        func readinessLogged() throws {
            let gateway = try LiveGateway()
            // Without its model file no worker can start again: once the running one is killed, none is live.
            let model = gateway.folder.appendingPathComponent("tiny.gguf")
            try FileManager.default.moveItem(at: model, to: gateway.folder.appendingPathComponent("moved.gguf"))
            for pid in gateway.workerPIDs { kill(pid, SIGKILL) }
            // The scheduler notices a dead worker when it has work for it: give it a request (whose answer is not
            // what this test is about).
            let nudge = Process()
            nudge.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            nudge.arguments = [
                "-s", "--cacert", gateway.certificate, "--max-time", "5", "-o", "/dev/null", "-H",
                "Authorization: Bearer \(LiveGateway.key)", "-H", "Content-Type: application/json", "-d",
                #"{"model":"tiny","prompt":"go","max_tokens":2}"#, gateway.url("/v1/completions"),
            ]
            try nudge.run()
            defer { nudge.waitUntilExit() }
            let deadline = Date().addingTimeInterval(30)
            var status = ""
            while status != "503", Date() < deadline {
                status = try gateway.curl(["-o", "/dev/null", "-w", "%{http_code}", gateway.url("/health/ready")])
                    .output
                usleep(100_000)
            }
            try #require(status == "503", "the worker was never seen down")
            #expect(
                logLine(gateway, containing: ["path=/health/ready", "status=503"]) != nil,
                "\(gateway.logText.suffix(3000))")
        }

        @Test("A non-streamed client that leaves is logged as 499 client_gone")
        func departedClientLogged() throws {
            // One sequence at a time: three long streams hold it in turn (several seconds), so the non-streamed request
            // waits in the queue while its client leaves, and is found gone at its first token.
            let gateway = try LiveGateway(maxRunning: 1)
            let fillers = try (0..<3).map {
                try gateway.startStream(
                    maxTokens: 4000, output: gateway.folder.appendingPathComponent("filler-\($0).txt"))
            }
            defer { for filler in fillers { kill(filler.processIdentifier, SIGKILL) } }
            let client = Process()
            client.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            client.arguments = [
                "-s", "--cacert", gateway.certificate, "--max-time", "60", "-o", "/dev/null", "-H",
                "Authorization: Bearer \(LiveGateway.key)", "-H", "Content-Type: application/json", "-d",
                #"{"model":"tiny","prompt":"go","max_tokens":50,"ignore_eos":true}"#, gateway.url("/v1/completions"),
            ]
            try client.run()
            usleep(1_000_000)  // time to connect and be queued behind the streams
            kill(client.processIdentifier, SIGKILL)
            client.waitUntilExit()
            let line = logLine(gateway, containing: ["path=/v1/completions", "status=499"], timeout: 30)
            #expect(line?.contains("error=client_gone") == true, "\(gateway.logText.suffix(3000))")
            #expect(logLine(gateway, containing: ["path=/v1/completions", "status=400"], timeout: 0) == nil)
        }

        @Test("A slow reader is cut off with a slow_client event and [DONE], and logged with the tokens it got")
        func slowReader() throws {
            let gateway = try LiveGateway()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: LiveGatewayTests.python)
            process.arguments = [
                URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                    "Python/slow_reader.py"
                )
                .path, "\(gateway.port)", LiveGateway.key, gateway.log.path,
            ]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(output)\n--- gateway log ---\n\(gateway.logText.suffix(3000))")
            let delivered = output.split(separator: "\n").first { $0.hasPrefix("delivered ") }.map { $0.dropFirst(10) }
            let line = try #require(logLine(gateway, containing: ["error=slow_client"]), "\(gateway.logText)")
            #expect(delivered.map { Int($0) ?? 0 } ?? 0 > 0, "\(output)")
            #expect(line.contains("completion_tokens=\(delivered ?? "?")"), "\(line) vs \(output)")
        }
    }
}
