import Glibc
import WorkerProtocol

/// A TCP connection of a pipeline link, carrying whole stage messages: each frame is one message, its 16-byte
/// header (which holds the body's length) then its body. Blocking, with a deadline on every read and write.
///
/// Plain TCP: run it on a trusted network only (Docs/pipeline.md); `TLSStageSocket` takes its descriptor over for
/// a mutual-TLS link. Not `Sendable`; one owner at a time.
public final class StageSocket: StageConnection {
    /// The descriptor (-1 once closed).
    private(set) var fd: Int32
    /// The peer, for messages.
    public let peer: String
    /// The largest frame either end sends or accepts: 256 MiB, far above any pass (16 384 rows of 8192 F32 values
    /// is 512 MiB only for a prompt batch no step carries).
    public static let maxFrameBytes = StageFrame.maxBytes

    /// Wraps a connected descriptor.
    init(fd: Int32, peer: String) {
        self.fd = fd
        self.peer = peer
        var one: Int32 = 1
        // Passes are small and latency-bound: no Nagle delay.
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close() }

    /// Closes the connection (idempotent).
    public func close() {
        if fd >= 0 {
            _ = Glibc.close(fd)
            fd = -1
        }
    }

    /// Hands the descriptor over (to a TLS channel, which closes it): this socket no longer owns it.
    func detach() -> Int32 {
        let descriptor = fd
        fd = -1
        return descriptor
    }

    /// Connects to `host:port` within `timeout`, trying each address the name resolves to.
    public static func connect(host: String, port: Int, timeout: Duration) throws(StageLinkError) -> StageSocket {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            throw StageLinkError("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            // Non-blocking connect, so that an unreachable host fails within the timeout.
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var result = Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen)
            if result != 0 && errno == EINPROGRESS {
                var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                if poll(&poller, 1, milliseconds(timeout)) == 1 {
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    result = error == 0 ? 0 : -1
                    errno = error
                } else {
                    errno = ETIMEDOUT
                }
            }
            if result == 0 {
                _ = fcntl(fd, F_SETFL, flags)
                return StageSocket(fd: fd, peer: "\(host):\(port)")
            }
            lastError = String(cString: strerror(errno))
            _ = Glibc.close(fd)
        }
        throw StageLinkError("cannot connect to \(host):\(port): \(lastError)")
    }

    /// Sends `bytes` (one encoded message) whole within `timeout`.
    public func send(_ bytes: [UInt8], timeout: Duration) throws(StageLinkError) {
        var sent = 0
        let failure: StageLinkError? = bytes.withUnsafeBytes { raw in
            while sent < raw.count {
                guard wait(for: Int16(POLLOUT), timeout: timeout) else {
                    return StageLinkError("\(peer): sending timed out after \(timeout)")
                }
                let n = Glibc.send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return StageLinkError("\(peer): send failed: \(String(cString: strerror(errno)))")
                }
                sent += n
            }
            return nil
        }
        if let failure { throw failure }
    }

    /// Receives one whole frame (header and body) within `timeout`; nil when the peer closed the connection
    /// cleanly before a frame began.
    public func receive(timeout: Duration) throws(StageLinkError) -> [UInt8]? {
        var header = [UInt8](repeating: 0, count: MessageHeader.size)
        guard try read(into: &header, from: 0, timeout: timeout, allowingClose: true) else { return nil }
        let length = try StageFrame.bodyLength(header: header, peer: peer)
        var frame = header + [UInt8](repeating: 0, count: length)
        _ = try read(into: &frame, from: MessageHeader.size, timeout: timeout, allowingClose: false)
        return frame
    }

    /// Fills `buffer[start...]`; false when the peer closed before the first byte and `allowingClose`.
    private func read(
        into buffer: inout [UInt8], from start: Int, timeout: Duration, allowingClose: Bool
    ) throws(StageLinkError) -> Bool {
        var got = start
        let count = buffer.count
        let failure: StageLinkError? = buffer.withUnsafeMutableBytes { raw in
            while got < count {
                guard wait(for: Int16(POLLIN), timeout: timeout) else {
                    return StageLinkError("\(peer): no answer within \(timeout)")
                }
                let n = recv(fd, raw.baseAddress! + got, count - got, 0)
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return StageLinkError("\(peer): receive failed: \(String(cString: strerror(errno)))")
                }
                if n == 0 { return got == start && allowingClose ? nil : StageLinkError("\(peer): closed the link") }
                got += n
            }
            return nil
        }
        if let failure { throw failure }
        return got == count
    }

    /// Whether bytes (or the end of the stream) arrived within `timeout`.
    public func isReadable(within timeout: Duration) -> Bool { wait(for: Int16(POLLIN), timeout: timeout) }

    /// Whether the socket became ready for `events` within `timeout`.
    private func wait(for events: Int16, timeout: Duration) -> Bool {
        var poller = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let ready = poll(&poller, 1, milliseconds(timeout))
            if ready < 0 && errno == EINTR { continue }
            return ready > 0
        }
    }
}

/// A listening TCP socket for `batchgate stage`.
public final class StageListener: Sendable {
    private let fd: Int32
    /// The port it listens on (the one asked for, or the one the system chose for 0).
    public let port: Int

    /// Listens on `host:port` (`0.0.0.0` or `::` for every interface).
    public init(host: String, port: Int) throws(StageLinkError) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let info = list else {
            throw StageLinkError("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw StageLinkError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, listen(fd, 4) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = Glibc.close(fd)
            throw StageLinkError("cannot listen on \(host):\(port): \(reason)")
        }
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let bound = withUnsafeBytes(of: address) { raw -> Int in
            // sin_port and sin6_port both sit at offset 2, big-endian.
            Int(raw[2]) << 8 | Int(raw[3])
        }
        self.fd = fd
        self.port = bound
    }

    deinit { _ = Glibc.close(fd) }

    /// Waits for the next connection (nil after `timeout` without one).
    public func accept(timeout: Duration) throws(StageLinkError) -> StageSocket? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, milliseconds(timeout))
        guard ready > 0 else { return nil }
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let client = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd, $0, &length) }
        }
        if client >= 0 { _ = fcntl(client, F_SETFD, FD_CLOEXEC) }
        guard client >= 0 else {
            if errno == EINTR || errno == EAGAIN || errno == ECONNABORTED { return nil }
            throw StageLinkError("accept failed: \(String(cString: strerror(errno)))")
        }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo(
                    $0, length, &host, socklen_t(host.count), &service, socklen_t(service.count),
                    NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        return StageSocket(fd: client, peer: "\(String(cString: host)):\(String(cString: service))")
    }
}

/// `duration` in whole milliseconds, for `poll`.
func milliseconds(_ duration: Duration) -> Int32 {
    Int32(clamping: max(0, duration.inNanoseconds / 1_000_000))
}

/// A pipeline link that failed: unreachable, closed, timed out, or a peer that broke the protocol.
public struct StageLinkError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in words.
    public let description: String

    /// Creates an error.
    public init(_ description: String) { self.description = description }
}
