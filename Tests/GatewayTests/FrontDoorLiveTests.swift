import BatchgateTestSupport
import Foundation
import Glibc
import Testing

extension LiveGatewayTests {
    /// The front door's bounds (issue 21) against a real gateway: each test exceeds one bound, checks the answer and
    /// `batchgate_connection_bounds_hit_total`, and checks that a normal client alongside is served all the while.
    ///
    /// Nested in `LiveGatewayTests` for its `.serialized` (see `Bounds`).
    @Suite("Front door bounds")
    struct FrontDoor {
        /// The times `bound` was hit, from `/metrics`.
        func hits(_ gateway: LiveGateway, _ bound: String) throws -> Double? {
            try gateway.metric("batchgate_connection_bounds_hit_total{bound=\"\(bound)\"}")
        }

        /// A normal client alongside: a streamed completion of `tokens` tokens, started now; `finish` waits for it
        /// and says whether it ended with `[DONE]`.
        struct Bystander {
            let process: Process
            let output: URL

            init(_ gateway: LiveGateway, tokens: Int = 64) throws {
                output = gateway.folder.appendingPathComponent("bystander-\(UUID().uuidString).txt")
                process = try gateway.startStream(maxTokens: tokens, output: output)
            }

            func finish() -> String {
                process.waitUntilExit()
                return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            }
        }

        /// Runs curl with `arguments` against `gateway`; the output, one line per transfer when `-w` says so.
        func curl(_ gateway: LiveGateway, _ arguments: [String]) throws -> String {
            try gateway.curl(arguments).output
        }

        @Test("Past listener.max_connections a new connection is closed at once; the open ones are served on")
        func maxConnections() throws {
            let gateway = try LiveGateway(listener: "  max_connections: 4")
            let session = try TLSSession(port: gateway.port, folder: gateway.folder)
            let request = "GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n"
            session.send(request)
            #expect(session.waitFor("HTTP/1.1 200", timeout: 10), "\(session.received)")
            let idle = try (0..<3).map { _ in try RawSocket(port: gateway.port) }
            usleep(300_000)  // let the gateway accept the three before the extras
            let opened = Date()
            let extras = try (0..<3).map { _ in try RawSocket(port: gateway.port) }
            for extra in extras {
                #expect(extra.readUntilClosed(timeout: 2).closed, "a fifth connection must be closed at once")
            }
            #expect(Date().timeIntervalSince(opened) < 2)
            #expect(idle.allSatisfy { !$0.isClosedByPeer }, "the connections within the bound stay open")
            // The client that was in first is served on its open connection.
            session.send(request)
            let deadline = Date().addingTimeInterval(10)
            while session.received.components(separatedBy: "HTTP/1.1 200").count < 3, Date() < deadline {
                usleep(20_000)
            }
            #expect(session.received.components(separatedBy: "HTTP/1.1 200").count == 3, "\(session.received)")
            session.kill()
            _ = idle
            try gateway.curl(["-o", "/dev/null", gateway.url("/health/live")])
            #expect(try hits(gateway, "max_connections") == 3)
        }

        @Test("Past listener.max_connections_per_client one address's new connection is closed; others get in")
        func maxConnectionsPerClient() throws {
            let gateway = try LiveGateway(listener: "  max_connections_per_client: 2")
            let held = try (0..<2).map { _ in try RawSocket(port: gateway.port, from: "127.0.0.3") }
            usleep(300_000)
            let extra = try RawSocket(port: gateway.port, from: "127.0.0.3")
            #expect(extra.readUntilClosed(timeout: 2).closed, "a third connection from 127.0.0.3 must be closed")
            #expect(held.allSatisfy { !$0.isClosedByPeer })
            // Another address is not bounded by 127.0.0.3's connections.
            let status = try curl(gateway, ["-o", "/dev/null", "-w", "%{http_code}", gateway.url("/health/live")])
            #expect(status == "200")
            #expect(try hits(gateway, "max_connections_per_client") == 1)
            #expect(try hits(gateway, "max_connections") == 0)
            // The places are given back when the connections close.
            _ = held
        }

        @Test("A request head past listener.max_header_count or max_header_bytes gets 431, HTTP/1.1 then closes")
        func headerBounds() throws {
            let gateway = try LiveGateway(listener: "  max_header_count: 20\n  max_header_bytes: 4096")
            let bystander = try Bystander(gateway)
            let many = (0..<25).flatMap { ["-H", "X-Filler-\($0): \($0)"] }
            let large = ["-H", "X-Large: " + String(repeating: "a", count: 5000)]
            var refused = 0
            for (version, headers) in [
                ("--http1.1", many), ("--http1.1", large), ("--http2", many), ("--http2", large),
            ] {
                let output = try curl(
                    gateway, [version, "-w", "\n%{http_code}", gateway.url("/v1/models")] + headers)
                #expect(output.hasSuffix("\n431"), "\(version): \(output)")
                #expect(output.contains("\"code\":\"headers_too_large\""), "\(version): \(output)")
                refused += 1
            }
            // HTTP/1.1 closes the connection after the 431.
            let session = try TLSSession(port: gateway.port, folder: gateway.folder)
            session.send(
                "GET /v1/models HTTP/1.1\r\nHost: localhost\r\n"
                    + (0..<25).map { "X-Filler-\($0): \($0)\r\n" }.joined() + "\r\n")
            #expect(session.waitForClose(timeout: 10))
            #expect(session.received.hasPrefix("HTTP/1.1 431"), "\(session.received)")
            #expect(session.received.lowercased().contains("connection: close"))
            refused += 1
            // Within the bounds a request is served.
            let fine = try curl(
                gateway,
                ["-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(LiveGateway.key)"]
                    + Array(many.prefix(20)) + [gateway.url("/v1/models")])
            #expect(fine == "200")
            #expect(bystander.finish().hasSuffix("data: [DONE]\n\n"))
            #expect(try hits(gateway, "headers") == Double(refused))
        }

        @Test(
            "Past listener.max_requests_per_second_per_connection: 429 with Retry-After; HTTP/1.1 closes, HTTP/2 not"
        )
        func requestRate() throws {
            let gateway = try LiveGateway(listener: "  max_requests_per_second_per_connection: 5")
            let bystander = try Bystander(gateway)
            // Each URL with its own -o: curl pairs them in order.
            let urls = (0..<30).flatMap { _ in [gateway.url("/health/live"), "-o", "/dev/null"] }
            var limited = 0
            for version in ["--http1.1", "--http2"] {
                let headers = gateway.folder.appendingPathComponent("headers\(version).txt")
                let lines = try curl(
                    gateway,
                    [version, "-D", headers.path, "-w", "%{http_code} %{num_connects}\n"] + urls
                ).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
                let statuses = lines.map { $0.first ?? "" }
                #expect(statuses.count == 30)
                #expect(statuses.allSatisfy { $0 == "200" || $0 == "429" }, "\(statuses)")
                let refused = statuses.filter { $0 == "429" }.count
                #expect(refused > 0 && refused < 26, "\(version): \(statuses)")
                limited += refused
                let connects = lines.compactMap { $0.count > 1 ? Int($0[1]) : nil }.reduce(0, +)
                if version == "--http2" {
                    #expect(connects == 1, "HTTP/2 keeps its connection past a 429")
                } else {
                    // Every 429 ends its connection: the next transfer connects anew.
                    #expect(connects >= refused, "\(lines)")
                }
                let text = try String(contentsOf: headers, encoding: .utf8).lowercased()
                #expect(text.contains("retry-after: 1"), "\(text.prefix(2000))")
            }
            // A body of the refusal, on a connection of its own that spends its burst first.
            let answer = try curl(gateway, Array(repeating: gateway.url("/health/live"), count: 8))
            #expect(answer.contains("\"code\":\"connection_rate_limit\""), "\(answer)")
            limited += answer.components(separatedBy: "connection_rate_limit").count - 1
            #expect(bystander.finish().hasSuffix("data: [DONE]\n\n"))
            #expect(try hits(gateway, "request_rate") == Double(limited))
        }

        /// Runs h2_abuse.py in `mode` with `count`; its JSON result.
        func abuseHTTP2(_ gateway: LiveGateway, mode: String, count: Int) throws -> [String: Any] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: LiveGatewayTests.python)
            process.arguments = [
                URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                    "Python/h2_abuse.py"
                ).path, "\(gateway.port)", LiveGateway.key, mode, "\(count)",
            ]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let text = String(decoding: output, as: UTF8.self)
            try #require(process.terminationStatus == 0, "\(text)")
            return try #require(
                try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
        }

        @Test(
            "HTTP/2 advertises listener.http2_max_concurrent_streams; a stream past it ends the connection's new streams"
        )
        func http2MaxStreams() throws {
            let gateway = try LiveGateway(listener: "  http2_max_concurrent_streams: 4\n  body_timeout: 5s")
            let bystander = try Bystander(gateway)
            let result = try abuseHTTP2(gateway, mode: "streams", count: 7)
            #expect(result["max_concurrent_streams"] as? Int == 4, "\(result)")
            // NIO takes a stream past the acknowledged bound as a connection error: GOAWAY PROTOCOL_ERROR, which RFC
            // 9113 (5.1.2) allows besides REFUSED_STREAM.
            #expect(result["goaway"] as? Int == 1, "PROTOCOL_ERROR: \(result)")
            let status = try curl(
                gateway, ["--http2", "-o", "/dev/null", "-w", "%{http_code}", gateway.url("/health/live")])
            #expect(status == "200")
            #expect(bystander.finish().hasSuffix("data: [DONE]\n\n"))
            #expect(try hits(gateway, "http2_max_streams") == 1)
        }

        @Test("HTTP/2 rapid reset: past listener.http2_max_stream_resets the connection gets GOAWAY and is closed")
        func http2RapidReset() throws {
            let gateway = try LiveGateway(listener: "  http2_max_stream_resets: 20")
            let bystander = try Bystander(gateway)
            let result = try abuseHTTP2(gateway, mode: "resets", count: 150)
            #expect(result["goaway"] as? Int == 11, "ENHANCE_YOUR_CALM: \(result)")
            #expect(result["closed"] as? Bool == true, "\(result)")
            let status = try curl(
                gateway, ["--http2", "-o", "/dev/null", "-w", "%{http_code}", gateway.url("/health/live")])
            #expect(status == "200")
            #expect(bystander.finish().hasSuffix("data: [DONE]\n\n"))
            #expect(try hits(gateway, "http2_stream_resets") == 1)
            #expect(try hits(gateway, "http2_flood") == 0, "the listener's bound acts before NIO's own")
        }

        @Test("A streaming client that stops reading is dropped after listener.write_timeout; its sequence is freed")
        func writeTimeout() throws {
            let gateway = try LiveGateway(listener: "  write_timeout: 2s")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: LiveGatewayTests.python)
            process.arguments = [
                URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                    "Python/stalled_reader.py"
                ).path, "\(gateway.port)", LiveGateway.key, "8",
            ]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            // The client reads nothing for 8 s; the gateway gives up on it well before.
            let deadline = Date().addingTimeInterval(8)
            while try hits(gateway, "write_timeout") != 1, Date() < deadline { usleep(200_000) }
            #expect(try hits(gateway, "write_timeout") == 1, "\(gateway.logText.suffix(2000))")
            // Nobody else notices: a request alongside is answered.
            let status = try curl(
                gateway,
                [
                    "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(LiveGateway.key)", "-H",
                    "Content-Type: application/json", "-d",
                    #"{"model":"tiny","prompt":"go","max_tokens":8,"ignore_eos":true}"#, gateway.url("/v1/completions"),
                ])
            #expect(status == "200")
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(output)")
            #expect(output.contains("closed"), "the gateway closed the connection: \(output)")
            // Its sequence was released: nothing runs once the bystander's request is done.
            #expect(try gateway.metric("batchgate_num_requests_running{model=\"tiny\"}") == 0)
        }

        @Test(
            "Slowloris: a first head trickled a line at a time is closed at listener.header_timeout, a later one at idle_timeout"
        )
        func slowloris() throws {
            let gateway = try LiveGateway(listener: "  header_timeout: 2s\n  idle_timeout: 3s")
            /// Sends `lines` one every 300 ms until the gateway closes or 10 s pass; the seconds it took.
            func trickle(_ session: TLSSession, _ lines: [String]) -> TimeInterval {
                let started = Date()
                var index = 0
                while session.process.isRunning, Date().timeIntervalSince(started) < 10 {
                    session.send(lines[index % lines.count])
                    index += 1
                    usleep(300_000)
                }
                return Date().timeIntervalSince(started)
            }
            let head =
                ["GET /health/live HTTP/1.1\r\n", "Host: localhost\r\n"] + (0..<40).map { "X-Slow-\($0): 1\r\n" }
            let first = try TLSSession(port: gateway.port, folder: gateway.folder)
            let firstSeconds = trickle(first, head)
            #expect(!first.process.isRunning && firstSeconds < 5, "closed after \(firstSeconds) s")
            #expect(!first.received.contains("HTTP/1.1"), "\(first.received)")
            // A keep-alive connection's next head: bounded by the idle timeout from the last answer.
            let second = try TLSSession(port: gateway.port, folder: gateway.folder)
            second.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(second.waitFor("HTTP/1.1 200", timeout: 10))
            let secondSeconds = trickle(second, head)
            #expect(!second.process.isRunning && secondSeconds < 6, "closed after \(secondSeconds) s")
            let status = try curl(gateway, ["-o", "/dev/null", "-w", "%{http_code}", gateway.url("/health/live")])
            #expect(status == "200")
            #expect(try hits(gateway, "header_timeout") == 1)
        }
    }
}
