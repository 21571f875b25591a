import Glibc

/// Starts `/proc/self/exe` with `arguments` (after argv[0]), inheriting the environment and every
/// descriptor not marked close-on-exec; returns its pid.
func spawnSelf(_ arguments: [String]) throws -> pid_t {
    let path = "/proc/self/exe"
    var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) }
    argv.append(nil)
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, path, nil, nil, argv, environ)
    guard result == 0 else { throw IPCBenchError("posix_spawn \(path): \(String(cString: strerror(result)))") }
    return pid
}

/// Waits for `pid`; returns its exit status, or 128 + the signal that ended it.
func waitForExit(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let signal = status & 0x7F
    return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
}

/// A connected `AF_UNIX`/`SOCK_STREAM` pair; the first end is close-on-exec, the second is
/// inheritable for the peer.
func makeSocketPair() throws -> (local: Int32, remote: Int32) {
    var ends: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0 else {
        throw IPCBenchError("socketpair: errno \(errno)")
    }
    _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
    return (ends[0], ends[1])
}
