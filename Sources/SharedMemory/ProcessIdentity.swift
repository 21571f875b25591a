import CShims
import Glibc

/// A process as the kernel knows it: a pid plus its start time, so a recycled pid is not mistaken
/// for the process that used to hold it.
public struct ProcessIdentity: Sendable, Hashable {
    /// The process id.
    public let pid: Int32
    /// Field 22 of `/proc/<pid>/stat`: start time in clock ticks after boot.
    public let startTime: UInt64

    /// Creates an identity from its parts.
    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// The calling process.
    public static func current() -> ProcessIdentity {
        let pid = getpid()
        return ProcessIdentity(pid: pid, startTime: ProcStat.read(pid: pid)?.startTime ?? 0)
    }

    /// Whether this exact process still runs: `kill(pid, 0)` finds it, it is not a zombie, and its
    /// start time is unchanged.
    public var isAlive: Bool {
        if kill(pid, 0) != 0 && errno == ESRCH { return false }
        guard let stat = ProcStat.read(pid: pid) else { return false }
        if stat.state == UInt8(ascii: "Z") || stat.state == UInt8(ascii: "X") { return false }
        return startTime == 0 || stat.startTime == startTime
    }
}

/// Asks the kernel to send `signal` to the calling process when its parent dies
/// (`prctl(PR_SET_PDEATHSIG)`), then checks that the parent is still `expectedParent`: if it died
/// before the call, the signal would never come, so this returns `false` and the caller should exit.
public func setParentDeathSignal(_ signal: Int32, expectedParent: Int32) -> Bool {
    guard bg_set_parent_death_signal(signal) == 0 else { return false }
    return getppid() == expectedParent
}

/// Pins the calling thread to the `index`-th CPU it is allowed to run on, so that two processes spinning on
/// one ring each keep a core of their own. Returns false when there is no such CPU or the kernel refuses.
public func pinCurrentThread(toAllowedCPU index: Int) -> Bool {
    bg_pin_to_allowed_cpu(Int32(index)) == 0
}

/// The two fields of `/proc/<pid>/stat` liveness needs.
struct ProcStat {
    /// Field 3: R, S, D, Z, X, …
    var state: UInt8
    /// Field 22.
    var startTime: UInt64

    /// Reads `/proc/<pid>/stat` with plain `open`/`read`; `nil` when the process is gone.
    static func read(pid: Int32) -> ProcStat? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return parse(buffer[..<count])
    }

    /// Parses a stat line; the command name (field 2) is in parentheses and may hold spaces or ')',
    /// so fields are counted from the last ')'.
    static func parse(_ line: ArraySlice<UInt8>) -> ProcStat? {
        guard let close = line.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = line[(close + 1)...].split(separator: UInt8(ascii: " "))
        // fields[0] is field 3 (state); field 22 is fields[19].
        guard fields.count > 19, let state = fields[0].first else { return nil }
        var value: UInt64 = 0
        for digit in fields[19] {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { break }
            value = value &* 10 &+ UInt64(digit - UInt8(ascii: "0"))
        }
        return ProcStat(state: state, startTime: value)
    }
}
