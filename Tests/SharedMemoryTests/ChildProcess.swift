import Glibc

/// Runs `body` in a forked child process and returns the child's pid.
///
/// Why `fork` and not a spawned helper: the package has no test helper executable, and re-running the
/// test binary under `swift test` is awkward. Forking a multi-threaded process is safe only if the
/// child touches no lock another thread held at the fork, so the child does little: it opens the
/// inherited segment (fstat, mmap, reading /proc), runs raw ring operations on the shared memory and
/// leaves with `_exit` (no atexit handlers, no stdio flushing). glibc resets malloc's locks in the
/// child; the Swift types the child uses are instantiated by the parent before it forks, so no
/// runtime metadata lock is needed. As a last guard the child arms `alarm(30)`: if it ever
/// deadlocked it dies by SIGALRM and the parent sees a dead peer instead of hanging.
func forkChild(_ body: () -> Int32) -> pid_t {
    let pid = fork()
    precondition(pid >= 0, "fork failed: errno \(errno)")
    if pid == 0 {
        alarm(30)
        _exit(body())
    }
    return pid
}

/// Waits for `pid` and returns its exit code, or 128 + the signal that killed it.
@discardableResult
func reap(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
}
