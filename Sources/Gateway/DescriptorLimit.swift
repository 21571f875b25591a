import Glibc

/// The process's open-descriptor limit (RLIMIT_NOFILE) as the gateway plans its connections by it.
///
/// A gateway that runs out of descriptors does not only refuse connections: libdispatch, which runs Swift's
/// concurrency on Linux, opens `/proc/<tid>/stat` every second while work waits for a thread, and crashes the
/// process when that open fails ("workq: registered worker exited prematurely"). So the connections the
/// listener admits must stay below the limit by a reserve the process keeps for itself.
public enum DescriptorLimit {
    /// Descriptors kept out of the connection budget: the process's own (event loops, log, state store, worker
    /// segments, a worker's spawn) and libdispatch's `/proc` reads.
    public static let reserve = 64

    /// The soft and hard limits now; nil when they cannot be read.
    public static func current() -> (soft: Int, hard: Int)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return (clamp(limit.rlim_cur), clamp(limit.rlim_max))
    }

    /// Raises the soft limit to the hard one (as Go's runtime and nginx's `worker_rlimit_nofile` do: a server that
    /// holds one descriptor per client should not stop at a shell's default 1024). Returns the limits before and
    /// after; nil when they cannot be read or set.
    @discardableResult
    public static func raiseSoftToHard() -> (before: Int, after: Int)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let before = clamp(limit.rlim_cur)
        guard limit.rlim_cur < limit.rlim_max else { return (before, before) }
        limit.rlim_cur = limit.rlim_max
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (before, before) }
        return (before, clamp(limit.rlim_max))
    }

    /// Descriptors open in this process now (the entries of `/proc/self/fd`); nil when it cannot be read.
    public static func inUse() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while readdir(directory) != nil { count += 1 }
        // ".", ".." and the directory's own descriptor.
        return max(0, count - 3)
    }

    /// The most connections the listener can hold with `configured` as its own bound: that bound, or what the soft
    /// limit leaves after the descriptors in use now and the reserve (at least 1), whichever is smaller.
    public static func connectionBudget(configured: Int) -> Int {
        guard let soft = current()?.soft else { return configured }
        let room = soft - (inUse() ?? 0) - reserve
        return max(1, min(configured, room))
    }

    private static func clamp(_ value: rlim_t) -> Int { value >= rlim_t(Int.max) ? Int.max : Int(value) }
}
