import Foundation
import OpenAIAPI
import Testing

@testable import Gateway

/// What NIO's HTTP/1 parser refuses is answered with the gateway's JSON error body, over a real socket.
@Suite("HTTP parser errors")
struct HTTPParserErrorTests {
    static let cases: [(name: String, request: String)] = [
        ("unknown method", "BREW /health/live HTTP/1.1\r\nHost: x\r\n\r\n"),
        (
            "oversized header",
            "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 100_000))\r\n\r\n"
        ),
        ("oversized URL", "GET /\(String(repeating: "a", count: 100_000)) HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("CR inside a header value", "GET /health/live HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n"),
        ("LF inside the request line", "GET /health\n/live HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("NUL in a header value", "GET /health/live HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b\r\n\r\n"),
        ("bad Content-Length", "POST /tokenize HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n"),
        (
            "two Content-Lengths",
            "POST /tokenize HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"
        ),
        (
            "Content-Length with Transfer-Encoding",
            "POST /tokenize HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        ),
        ("bad HTTP version", "GET /health/live HTTP/9.7\r\nHost: x\r\n\r\n"),
        ("garbage version", "GET /health/live HTZP/1.1\r\nHost: x\r\n\r\n"),
    ]

    @Test(
        "Each is answered 400 (431 when too large) with an OpenAI-shaped body, then the connection closes",
        arguments: cases.indices)
    func refused(index: Int) async throws {
        let (name, request) = Self.cases[index]
        // A head past listener.max_header_bytes: NIO's parser says so for the URL too.
        let (status, code) = name.hasPrefix("oversized") ? ("431", "headers_too_large") : ("400", "invalid_http")
        let gateway = try TestGateway()
        try await gateway.testLive { client in
            let port = try #require(client.port)
            let socket = try RawSocket(port: port)
            socket.send(request)
            let (text, closed) = await socket.readUntilClosed(timeout: 10)
            #expect(closed, "\(name): the connection stayed open")
            #expect(text.hasPrefix("HTTP/1.1 \(status)"), "\(name): \(text.prefix(300))")
            let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            let error = try JSONDecoder().decode(ErrorBody.self, from: Data(body.utf8)).error
            #expect(error.type == "invalid_request_error", "\(name)")
            #expect(error.code == code, "\(name): \(body)")
            #expect(!error.message.isEmpty)
            #expect(text.lowercased().contains("content-type: application/json"), "\(name)")
        }
    }

    @Test("A malformed chunk size in a body is answered 400 invalid_http, not 413")
    func malformedChunkSize() async throws {
        let gateway = try TestGateway()
        try await gateway.testLive { client in
            let socket = try RawSocket(port: try #require(client.port))
            socket.send(
                "POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestKeys.good)\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"mod\r\nZZZ\r\n")
            let (text, closed) = await socket.readUntilClosed(timeout: 10)
            #expect(closed)
            #expect(text.hasPrefix("HTTP/1.1 400"), "\(text)")
            #expect(text.contains(#""code":"invalid_http""#), "\(text)")
        }
    }

    @Test("A parse error after a good request on the same connection is answered after the good answer")
    func afterGoodRequest() async throws {
        let gateway = try TestGateway()
        try await gateway.testLive { client in
            let socket = try RawSocket(port: try #require(client.port))
            socket.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\nBREW / HTTP/1.1\r\nHost: x\r\n\r\n")
            let (text, closed) = await socket.readUntilClosed(timeout: 10)
            #expect(closed)
            let answers = text.components(separatedBy: "HTTP/1.1 ")
            #expect(answers.count == 3, "\(text)")
            #expect(answers.dropFirst().first?.hasPrefix("200") == true, "\(text)")
            #expect(answers.last?.hasPrefix("400") == true, "\(text)")
        }
    }

    @Test("The answer state machine answers at once, after open answers, or leaves a body's error to its reader")
    func stateMachine() {
        var idle = HTTPErrorAnswerState()
        #expect(idle.parseError() == .answer)
        #expect(idle.parseError() == .nothing)

        var readingBody = HTTPErrorAnswerState()
        readingBody.headRead()
        #expect(readingBody.parseError() == .forward)

        var answering = HTTPErrorAnswerState()
        answering.headRead()
        answering.endRead()
        #expect(answering.parseError() == .wait)
        #expect(answering.answerWritten() == .answer)

        var done = HTTPErrorAnswerState()
        done.headRead()
        done.endRead()
        #expect(done.answerWritten() == .nothing)
        #expect(done.parseError() == .answer)
    }
}
