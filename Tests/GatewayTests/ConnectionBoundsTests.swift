import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import Testing

@testable import Gateway

/// The pieces of the connection bounds that need no connection: the pending-handshake count and the body read.
@Suite("Connection bounds")
struct ConnectionBoundsTests {
    @Test("Pending handshakes: places up to the limit, none past it, and each one given back frees one")
    func pendingHandshakes() {
        let pending = PendingHandshakes(limit: 3)
        #expect((0..<3).allSatisfy { _ in pending.enter() })
        #expect(!pending.enter())
        #expect(pending.current == 3)
        pending.leave()
        #expect(pending.enter())
        #expect(!pending.enter())
    }

    /// An immediate body of `parts`.
    struct Parts: AsyncSequence, Sendable {
        let parts: [String]

        struct AsyncIterator: AsyncIteratorProtocol {
            var rest: ArraySlice<String>

            mutating func next() async throws -> ByteBuffer? {
                guard let first = rest.popFirst() else { return nil }
                return ByteBuffer(string: first)
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: parts[...]) }
    }

    @Test("A body that arrives is read whole")
    func whole() async throws {
        let read = try await BodyBounds(limit: 1 << 20).read(Parts(parts: ["{\"a\"", ":1}"]))
        #expect(String(buffer: read) == #"{"a":1}"#)
    }

    @Test("A body past the limit is refused as too large")
    func tooLarge() async {
        do {
            _ = try await BodyBounds(limit: 4).read(Parts(parts: ["abc", "de"]))
        } catch let error as GatewayError {
            #expect(error.code == .bodyTooLarge)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// An embedded channel with the body deadline handler, and a catcher of what it fires.
    final class Caught: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: an embedded channel runs on the test's thread only.
        typealias InboundIn = HTTPRequestPart
        var errors: [any Error] = []
        func errorCaught(context: ChannelHandlerContext, error: any Error) { errors.append(error) }
    }

    func channel(timeout: TimeAmount, rate: Int = 0, grace: TimeAmount = .seconds(5)) throws
        -> (EmbeddedChannel, Caught)
    {
        let caught = Caught()
        let channel = EmbeddedChannel(handlers: [
            BodyDeadlineHandler(timeout: timeout, minBytesPerSecond: rate, grace: grace), caught,
        ])
        return (channel, caught)
    }

    static let head = HTTPRequestPart.head(HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/"))

    @Test("A body that stalls gets body_timeout fired at the deadline; one that ends in time gets nothing")
    func stalled() throws {
        let (channel, caught) = try channel(timeout: .seconds(2))
        try channel.writeInbound(Self.head)
        try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "{")))
        channel.pipeline.fireChannelReadComplete()
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1750))
        #expect(caught.errors.isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(500))
        let error = try #require(caught.errors.first as? BodyDeadlineError)
        #expect(error.message == "the request body did not arrive within 2 s")
        #expect(GatewayError(.bodyTimeout, error.message).status.code == 408)
        // The next request on the connection starts its own clock, and an ended body stops it.
        try channel.writeInbound(Self.head)
        try channel.writeInbound(HTTPRequestPart.end(nil))
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(caught.errors.count == 1)
        _ = try channel.finish()
    }

    @Test("A body slower than the minimum rate gets body_timeout once the grace period is over")
    func tooSlow() throws {
        let (channel, caught) = try channel(timeout: .seconds(30), rate: 1000, grace: .seconds(1))
        try channel.writeInbound(Self.head)
        for _ in 0..<8 {
            try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: String(repeating: "x", count: 100))))
            channel.pipeline.fireChannelReadComplete()
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(250))
        }
        let error = try #require(caught.errors.first as? BodyDeadlineError)
        #expect(error.message.contains("slower than 1000 bytes per second"))
        _ = try channel.finish()
    }

    @Test("Body read failures: malformed is 400, a connection that ended inside the body is 499")
    func readFailures() {
        #expect(GatewayHandlers.bodyReadError(HTTPParserError.invalidChunkSize).code == .invalidHTTP)
        #expect(GatewayHandlers.bodyReadError(HTTPParserError.invalidEOFState).code == .clientGone)
        #expect(GatewayHandlers.bodyReadError(ChannelError.eof).code == .clientGone)
        #expect(GatewayError(.clientGone, "gone").status.code == 499)
    }
}
