import Basics
import Dispatch
import Foundation
import Glibc
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import WorkerProtocol

/// A pipeline link over mutual TLS (TLS 1.3): an NIO channel with `NIOSSLHandler` on the link's TCP socket, behind
/// the same blocking interface and deadlines as the plain `StageSocket`. A read times out when no byte arrived for
/// its timeout, a write when the peer took none of the next chunk for its timeout, as on the plain link.
///
/// Not `Sendable`; one owner at a time (the channel behind it is thread-safe, the owner's calls are serialised).
public final class TLSStageSocket: StageConnection {
    /// The peer, for messages.
    public let peer: String
    private let channel: any Channel
    private let inbox: TLSStageInbox
    /// Writes are cut into chunks of this size, each of which must leave within the send timeout.
    private static let chunkBytes = 256 << 10

    /// Runs the TLS handshake on `socket` within `timeout` as `tls.role`, taking its descriptor over. A client
    /// names the stage as it dialled it (`host`): a DNS name is sent as SNI and checked against the certificate's
    /// names, an IP address against its IP addresses. Throws a message that says what failed and, where it can
    /// tell, why (no certificate, the wrong CA, a peer that speaks plain TCP).
    public init(over socket: StageSocket, host: String? = nil, tls: StageTLS, timeout: Duration) throws(StageLinkError)
    {
        peer = socket.peer
        let inbox = TLSStageInbox(peer: socket.peer, role: tls.role, caPath: tls.files.ca)
        self.inbox = inbox
        let context = tls.context
        let role = tls.role
        let serverHostname = host.flatMap { Self.isIPAddress($0) ? nil : $0 }
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let operations = channel.pipeline.syncOperations
                switch role {
                case .client:
                    try operations.addHandler(PlainStageDetector(inbox: inbox))
                    try operations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverHostname))
                case .server:
                    try operations.addHandler(NIOSSLServerHandler(context: context))
                }
                try operations.addHandler(inbox)
            }
        }
        let descriptor = socket.detach()
        do {
            // The channel owns the descriptor from here on, and closes it on every path.
            channel = try bootstrap.withConnectedSocket(descriptor).wait()
        } catch {
            throw StageLinkError("\(socket.peer): cannot start TLS: \(error)")
        }
        do throws(StageLinkError) {
            try inbox.waitForHandshake(timeout: timeout)
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    deinit { close() }

    /// Closes the link (idempotent): a TLS close_notify, then the socket.
    public func close() { channel.close(promise: nil) }

    /// Sends `bytes` (one encoded message) whole; each chunk must leave within `timeout`.
    public func send(_ bytes: [UInt8], timeout: Duration) throws(StageLinkError) {
        var writes: [EventLoopFuture<Void>] = []
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + Self.chunkBytes)
            writes.append(channel.write(ByteBuffer(bytes: bytes[offset..<end])))
            offset = end
        } while offset < bytes.count
        channel.flush()
        for write in writes {
            let done = DispatchSemaphore(value: 0)
            let outcome = WriteOutcome()
            write.whenComplete { result in
                outcome.set(result)
                done.signal()
            }
            guard done.wait(timeout: .now() + .nanoseconds(Int(clamping: timeout.inNanoseconds))) == .success else {
                throw StageLinkError("\(peer): sending timed out after \(timeout)")
            }
            if let failure = outcome.failure {
                throw StageLinkError(inbox.failureReason ?? "\(peer): send failed: \(failure)")
            }
        }
    }

    /// Receives one whole frame (header and body); nil when the peer closed the link cleanly before a frame began.
    public func receive(timeout: Duration) throws(StageLinkError) -> [UInt8]? {
        guard let header = try inbox.take(MessageHeader.size, timeout: timeout, allowingEnd: true) else { return nil }
        let length = try StageFrame.bodyLength(header: header, peer: peer)
        guard length > 0 else { return header }
        let body = try inbox.take(length, timeout: timeout, allowingEnd: false) ?? []
        return header + body
    }

    /// Whether bytes (or the end of the link) arrived within `timeout`.
    public func isReadable(within timeout: Duration) -> Bool { inbox.isReadable(within: timeout) }

    /// Whether `host` is an IPv4 or IPv6 address (checked against the certificate's IP addresses, never sent as SNI).
    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}

/// The result of one write, handed from the event loop to the waiting thread.
private final class WriteOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var error: (any Error)?

    /// Records how the write ended.
    func set(_ result: Result<Void, any Error>) {
        if case .failure(let error) = result { lock.withLock { self.error = error } }
    }

    /// The write's error, if it failed.
    var failure: (any Error)? { lock.withLock { error } }
}

/// On the first stage's end: a stage that speaks plain TCP sends its hello (magic `BGWP`) where a TLS server
/// sends a ServerHello. Its first byte is no TLS record type, so this names the mismatch instead of letting
/// BoringSSL report a bare protocol error.
final class PlainStageDetector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let inbox: TLSStageInbox
    private var checked = false

    init(inbox: TLSStageInbox) { self.inbox = inbox }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !checked {
            checked = true
            let buffer = unwrapInboundIn(data)
            if buffer.readableBytesView.first == UInt8(truncatingIfNeeded: MessageHeader.magic) {
                inbox.fail(
                    "\(inbox.peer) answered in plain TCP (a stage started with --trusted-network): start it with "
                        + "--tls-certificate, --tls-key and --tls-ca, or mark it trusted_network: true on the gateway")
                context.close(promise: nil)
                return
            }
        }
        context.fireChannelRead(data)
    }
}

/// The application end of a TLS link's channel: the plaintext that arrived, whether the handshake completed, and
/// why the link failed, handed to the blocking reader under one condition.
final class TLSStageInbox: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    /// The peer, for messages.
    let peer: String
    private let role: StageTLS.Role
    private let caPath: String
    private let condition = NSCondition()
    private var bytes: [UInt8] = []
    private var start = 0
    private var handshaken = false
    private var ended = false
    private var failure: String?

    init(peer: String, role: StageTLS.Role, caPath: String) {
        self.peer = peer
        self.role = role
        self.caPath = caPath
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        update { bytes.append(contentsOf: buffer.readableBytesView) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { update { handshaken = true } }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A peer that closes without a close_notify (a killed process) ends the link like a closed socket; a frame
        // cut short by it is still caught by its length.
        if let error = error as? NIOSSLError, case .uncleanShutdown = error {
            update { ended = true }
        } else {
            fail(describe(error))
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        update { ended = true }
        context.fireChannelInactive()
    }

    /// Records why the link failed (the first reason wins).
    func fail(_ reason: String) {
        update { if failure == nil { failure = reason } }
    }

    /// Why the link failed, if it did.
    var failureReason: String? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    /// Waits until the handshake completed; throws why it failed, or that it took longer than `timeout`.
    func waitForHandshake(timeout: Duration) throws(StageLinkError) {
        let deadline = ContinuousClock.now + timeout
        condition.lock()
        defer { condition.unlock() }
        while !handshaken {
            if let failure { throw StageLinkError(failure) }
            if ended { throw StageLinkError(closedDuringHandshake) }
            guard wait(until: deadline) else {
                throw StageLinkError("\(peer): no TLS handshake within \(timeout)")
            }
        }
    }

    /// Removes and returns the next `count` bytes; nil when the link ended cleanly before any of them and
    /// `allowingEnd`. Times out when no byte arrived for `timeout`.
    func take(_ count: Int, timeout: Duration, allowingEnd: Bool) throws(StageLinkError) -> [UInt8]? {
        var deadline = ContinuousClock.now + timeout
        condition.lock()
        defer { condition.unlock() }
        while bytes.count - start < count {
            if let failure { throw StageLinkError(failure) }
            if ended {
                if allowingEnd && bytes.count == start { return nil }
                throw StageLinkError("\(peer): closed the link")
            }
            let had = bytes.count
            guard wait(until: deadline) else { throw StageLinkError("\(peer): no answer within \(timeout)") }
            if bytes.count > had { deadline = ContinuousClock.now + timeout }
        }
        let taken = Array(bytes[start..<start + count])
        start += count
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            start = 0
        } else if start >= 1 << 20 {
            bytes.removeFirst(start)
            start = 0
        }
        return taken
    }

    /// Whether bytes, the end of the link or a failure arrived within `timeout`.
    func isReadable(within timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        condition.lock()
        defer { condition.unlock() }
        while bytes.count == start && !ended && failure == nil {
            guard wait(until: deadline) else { return false }
        }
        return true
    }

    /// Waits for a change until `deadline`, the condition locked; false once the deadline has passed.
    private func wait(until deadline: ContinuousClock.Instant) -> Bool {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { return false }
        _ = condition.wait(until: Date(timeIntervalSinceNow: remaining.inSeconds))
        return true
    }

    /// Changes the state under the condition and wakes the reader.
    private func update(_ change: () -> Void) {
        condition.lock()
        change()
        condition.broadcast()
        condition.unlock()
    }

    /// The peer hung up before the handshake completed: on a stage, most likely a first stage without TLS (which
    /// sends nothing until it has the stage's hello, and gives up after its link timeout).
    private var closedDuringHandshake: String {
        guard role == .server else { return "\(peer) closed the connection during the TLS handshake" }
        return "\(peer) closed the connection before completing a TLS handshake (a first stage without TLS waits "
            + "for a plain hello and gives up: set models[].pipeline_tls on the gateway, or start this stage with "
            + "--trusted-network)"
    }

    /// `error` in words, with what it most likely means for this end of a pipeline link.
    private func describe(_ error: any Error) -> String {
        let text = "\(error)"
        func has(_ words: String...) -> Bool { words.contains { text.contains($0) } }
        if has("EOF during handshake") { return closedDuringHandshake }
        let meaning: String
        switch role {
        case .client:
            if has("failedToValidateHostname") {
                meaning = "the stage's certificate does not name the host it was dialled as"
            } else if has("CERTIFICATE_VERIFY_FAILED") {
                meaning = "the stage's certificate does not chain to the CA bundle \(caPath) (or has expired)"
            } else if has("CERTIFICATE_REQUIRED", "UNKNOWN_CA", "BAD_CERTIFICATE", "CERTIFICATE_UNKNOWN") {
                meaning = "the stage refused this node's client certificate (it must chain to the stage's --tls-ca)"
            } else if has("WRONG_VERSION_NUMBER") {
                meaning = "the stage does not speak TLS (started with --trusted-network?)"
            } else {
                meaning = "the TLS link failed"
            }
        case .server:
            if has("PEER_DID_NOT_RETURN_A_CERTIFICATE") {
                meaning = "the client presented no certificate"
            } else if has("CERTIFICATE_VERIFY_FAILED") {
                meaning = "the client's certificate does not chain to --tls-ca \(caPath) (or has expired)"
            } else if has("UNKNOWN_CA", "BAD_CERTIFICATE", "CERTIFICATE_UNKNOWN") {
                meaning = "the client refused this stage's certificate (it must chain to the gateway's pipeline_tls.ca)"
            } else if has("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "UNKNOWN_PROTOCOL") {
                meaning = "the client does not speak TLS (a gateway with trusted_network: true for this stage?)"
            } else {
                meaning = "the TLS link failed"
            }
        }
        return "\(peer): \(meaning) [\(text)]"
    }
}
