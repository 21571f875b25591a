import NIOCore
import NIOHTTP1
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

    /// A body of `parts`, each after `gap`, then ended, or left open for an hour when `stall` is set.
    struct Trickle: AsyncSequence, Sendable {
        let parts: [String]
        var gap: Duration = .zero
        var stall = false

        struct AsyncIterator: AsyncIteratorProtocol {
            let body: Trickle
            var index = 0

            mutating func next() async throws -> ByteBuffer? {
                guard index < body.parts.count else {
                    if body.stall { try await Task.sleep(for: .seconds(3600)) }
                    return nil
                }
                if body.gap > .zero { try await Task.sleep(for: body.gap) }
                index += 1
                return ByteBuffer(string: body.parts[index - 1])
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
    }

    func body(_ parts: [String], gap: Duration = .zero, stall: Bool = false) -> Trickle {
        Trickle(parts: parts, gap: gap, stall: stall)
    }

    func bounds(limit: Int = 1 << 20, timeout: Duration = .seconds(30), rate: Int = 0, grace: Duration = .seconds(5))
        -> BodyBounds
    {
        let now = ContinuousClock.now
        return BodyBounds(limit: limit, started: now, deadline: now + timeout, minBytesPerSecond: rate, grace: grace)
    }

    @Test("A body that arrives is read whole")
    func whole() async throws {
        let read = try await bounds().read(body(["{\"a\"", ":1}"]))
        #expect(String(buffer: read) == #"{"a":1}"#)
    }

    @Test("A body past the limit is refused as too large")
    func tooLarge() async {
        do {
            _ = try await bounds(limit: 4).read(body(["abc", "de"]))
        } catch let error as GatewayError {
            #expect(error.code == .bodyTooLarge)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("A body that stalls is refused with body_timeout at the deadline")
    func stalled() async {
        do {
            _ = try await bounds(timeout: .milliseconds(300)).read(body(["{"], stall: true))
            Issue.record("a stalled body was read")
        } catch let error as GatewayError {
            #expect(error.code == .bodyTimeout)
            #expect(error.status.code == 408)
            #expect(error.message.contains("did not arrive within"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("A body slower than the minimum rate is refused once the grace period is over")
    func tooSlow() async {
        let trickle = body(Array(repeating: "x", count: 100), gap: .milliseconds(100))
        do {
            _ = try await bounds(rate: 1000, grace: .milliseconds(300)).read(trickle)
            Issue.record("a trickling body was read")
        } catch let error as GatewayError {
            #expect(error.code == .bodyTimeout)
            #expect(error.message.contains("slower than 1000 bytes per second"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("Body read failures: malformed is 400, a connection that ended inside the body is 499")
    func readFailures() {
        #expect(GatewayResponder.bodyReadError(HTTPParserError.invalidChunkSize).code == .invalidHTTP)
        #expect(GatewayResponder.bodyReadError(HTTPParserError.invalidEOFState).code == .clientGone)
        #expect(GatewayResponder.bodyReadError(ChannelError.eof).code == .clientGone)
        #expect(GatewayError(.clientGone, "gone").status.code == 499)
    }
}
