import Foundation
import Glibc

/// A plain TCP connection to a loopback port, for clients that misbehave below HTTP (no ClientHello, raw bytes).
final class RawSocket {
    let fd: Int32

    /// Connects to 127.0.0.1:`port`, from the loopback address `source` when given (any of 127.0.0.0/8).
    init(port: Int, from source: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            guard bound else {
                close(fd)
                throw LiveGatewayError("cannot bind to \(source): errno \(errno)")
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            close(fd)
            throw LiveGatewayError("cannot connect to port \(port): errno \(errno)")
        }
    }

    deinit { close(fd) }

    /// Sends `bytes` whole.
    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { return }
            offset += sent
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Whether the peer has closed (or reset) the connection, without waiting.
    var isClosedByPeer: Bool {
        var byte: UInt8 = 0
        let received = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return received == 0 || (received < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// Reads until the peer closes or `timeout` passes; returns what arrived and whether the peer closed.
    func readUntilClosed(timeout: TimeInterval) -> (text: String, closed: Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        var data: [UInt8] = []
        while Date() < deadline {
            if let closed = readAvailable(into: &data, waitMilliseconds: 50), closed {
                return (String(decoding: data, as: UTF8.self), true)
            }
        }
        return (String(decoding: data, as: UTF8.self), false)
    }

    /// The same, for async tests whose server runs in this process: it waits by sleeping the task, never by holding
    /// one of the few threads the server's own tasks need.
    func readUntilClosed(timeout: TimeInterval) async -> (text: String, closed: Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        var data: [UInt8] = []
        while Date() < deadline {
            if let closed = readAvailable(into: &data, waitMilliseconds: 0), closed {
                return (String(decoding: data, as: UTF8.self), true)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return (String(decoding: data, as: UTF8.self), false)
    }

    /// Appends what has arrived to `data`; true when the peer has closed, nil when nothing arrived.
    private func readAvailable(into data: inout [UInt8], waitMilliseconds: Int32) -> Bool? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, waitMilliseconds) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count <= 0 { return true }
        data += buffer[0..<count]
        return false
    }
}

/// An `openssl s_client` session to the gateway: raw bytes over TLS, the connection kept open until the server
/// closes it (s_client then exits) or the test ends it.
final class TLSSession {
    let process = Process()
    private let input = Pipe()
    private let output: URL

    /// Connects to 127.0.0.1:`port` in `folder` (where its output goes), with extra s_client `options`.
    init(port: Int, folder: URL, options: [String] = []) throws {
        output = folder.appendingPathComponent("s_client-\(UUID().uuidString).out")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments =
            ["s_client", "-quiet", "-connect", "127.0.0.1:\(port)", "-servername", "localhost"] + options
        process.standardInput = input
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: output)
    }

    /// Sends `text` (the handshake happens first; s_client buffers it).
    func send(_ text: String) { input.fileHandleForWriting.write(Data(text.utf8)) }

    /// Waits up to `timeout` for the server to close the connection; true when it did.
    func waitForClose(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    /// Everything the server sent so far.
    var received: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    /// Waits up to `timeout` for `text` in what the server sent.
    func waitFor(_ text: String, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !received.contains(text), Date() < deadline { usleep(20_000) }
        return received.contains(text)
    }

    /// Ends the client abruptly (the TCP connection is closed by the kernel, without TLS close_notify).
    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
