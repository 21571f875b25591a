import Glibc

/// Waits for `pid`; returns its exit status, or 128 + the signal that ended it.
func waitForExit(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let signal = status & 0x7F
    return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
}

/// A connected `AF_UNIX`/`SOCK_STREAM` pair, both ends close-on-exec (the peer gets the second through
/// `PreparedSpawn`).
func makeSocketPair() throws -> (local: Int32, remote: Int32) {
    var ends: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
        throw IPCBenchError("socketpair: errno \(errno)")
    }
    return (ends[0], ends[1])
}
