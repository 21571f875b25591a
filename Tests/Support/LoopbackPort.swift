import Foundation

/// Ports on 127.0.0.1 for the servers tests start (gateways, PostgreSQL).
public enum LoopbackPort {
    /// A port nothing listens on now: bound to 0, read back, closed.
    public static func free() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(fd, address, length) == 0 && getsockname(fd, address, &length) == 0
            }
        }
        guard bound else { throw NoFreePort() }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// No port could be bound on 127.0.0.1.
    public struct NoFreePort: Error, CustomStringConvertible {
        public var description: String { "no free port on 127.0.0.1" }
    }
}
