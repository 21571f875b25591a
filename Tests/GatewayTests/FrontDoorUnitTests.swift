import BatchgateConfig
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Prometheus
import Testing

@testable import Gateway

/// The front door's pieces without a server: the connection gate, the token bucket, and the request handler on an
/// embedded channel (rate, write timeout).
@Suite("Front door")
struct FrontDoorUnitTests {
    @Test("The gate: places up to the total, per client up to its bound, and each one given back frees one")
    func gate() {
        let gate = ConnectionGate(maxConnections: 4, maxPerClient: 2)
        #expect(gate.enter(client: "10.0.0.1") == nil)
        #expect(gate.enter(client: "10.0.0.1") == nil)
        #expect(gate.enter(client: "10.0.0.1") == .perClient)
        #expect(gate.current == 2, "a refused client takes no place in the total")
        #expect(gate.enter(client: "10.0.0.2") == nil)
        #expect(gate.enter(client: nil) == nil)
        #expect(gate.enter(client: "10.0.0.3") == .total)
        gate.leave(client: "10.0.0.1")
        #expect(gate.current(client: "10.0.0.1") == 1)
        #expect(gate.enter(client: "10.0.0.3") == nil)
        #expect(gate.current == 4)
        gate.leave(client: "10.0.0.3")
        #expect(gate.current(client: "10.0.0.3") == 0)
        let unbounded = ConnectionGate(maxConnections: 3, maxPerClient: 0)
        #expect((0..<3).allSatisfy { _ in unbounded.enter(client: "10.0.0.1") == nil })
        #expect(unbounded.enter(client: "10.0.0.1") == .total)
    }

    @Test("The bucket: a burst of its capacity, then one token per 1/rate seconds, never more than the capacity")
    func bucket() {
        var bucket = TokenBucket(capacity: 3, perSecond: 2)
        func take(_ now: NIODeadline) -> Bool { bucket.take(now: now) }
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        #expect((0..<3).allSatisfy { _ in take(start) })
        #expect(!take(start))
        #expect(bucket.secondsUntilNext == 1)
        #expect(!take(start + .milliseconds(400)))
        #expect(take(start + .milliseconds(600)))
        #expect(!take(start + .milliseconds(600)))
        // An hour later it holds its capacity, not 7,200.
        let later = start + .hours(1)
        #expect((0..<3).allSatisfy { _ in take(later) })
        #expect(!take(later))
    }

    /// A front door with `requestsPerSecond` and `writeTimeout`, counting into a registry of its own.
    static func frontDoor(requestsPerSecond: Int, writeTimeout: Duration = .seconds(60))
        -> (FrontDoor, PrometheusCollectorRegistry)
    {
        let registry = PrometheusCollectorRegistry()
        var listener = BatchgateConfiguration.Listener()
        listener.maxRequestsPerSecondPerConnection = requestsPerSecond
        listener.writeTimeout = writeTimeout
        let metrics = FrontDoorMetrics(factory: DescribedMetricsFactory(registry: registry))
        return (FrontDoor(listener: listener, metrics: metrics), registry)
    }

    /// The text of `registry`.
    static func exposition(_ registry: PrometheusCollectorRegistry) -> String {
        registry.emitToString()
    }

    @Test("Past the rate an HTTP/1.1 request gets 429 with Retry-After and Connection: close; it reaches no one")
    func rate() throws {
        let (frontDoor, registry) = Self.frontDoor(requestsPerSecond: 2)
        let channel = EmbeddedChannel(handler: FrontDoorRequestHandler(frontDoor: frontDoor, isHTTP2Stream: false))
        let head = HTTPRequest(method: .get, scheme: nil, authority: "localhost", path: "/health/live")
        for _ in 0..<2 {
            try channel.writeInbound(HTTPRequestPart.head(head))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            #expect(try channel.readInbound(as: HTTPRequestPart.self) != nil)
            #expect(try channel.readInbound(as: HTTPRequestPart.self) != nil)
        }
        try channel.writeInbound(HTTPRequestPart.head(head))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        #expect(try channel.readInbound(as: HTTPRequestPart.self) == nil, "the refused request goes no further")
        guard case .head(let answer) = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no answer head")
            return
        }
        #expect(answer.status == .tooManyRequests)
        #expect(answer.headerFields[.retryAfter] == "1")
        #expect(answer.headerFields[.connection] == "close")
        guard case .body(let body) = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no answer body")
            return
        }
        #expect(String(buffer: body).contains("\"code\":\"connection_rate_limit\""))
        #expect(Self.exposition(registry).contains(#"batchgate_connection_bounds_hit_total{bound="request_rate"} 1"#))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive, "HTTP/1.1 closes after the 429")
    }

    @Test("A channel unwritable for the write timeout is closed and counted; one writable again in time is not")
    func writeTimeout() throws {
        let (frontDoor, registry) = Self.frontDoor(requestsPerSecond: 0, writeTimeout: .seconds(2))
        let channel = EmbeddedChannel(handler: FrontDoorRequestHandler(frontDoor: frontDoor, isHTTP2Stream: false))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(channel.isActive, "writable again within the timeout")
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1900))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        #expect(!channel.isActive, "closed after 2 s unwritable")
        #expect(Self.exposition(registry).contains(#"batchgate_connection_bounds_hit_total{bound="write_timeout"} 1"#))
    }
}
