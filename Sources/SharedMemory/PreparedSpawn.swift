import CShims
import Glibc

/// A `posix_spawn` made ready in advance: the arguments, and the descriptors the child gets, each duplicated
/// onto a chosen number in the child only.
///
/// The child gets standard input, output and error and those descriptors, nothing else. The parent's descriptors stay
/// close-on-exec the whole time, so a child spawned at the same moment by another
/// thread (another worker, another test) never inherits a segment that is not its own: a segment then goes away
/// exactly when its two processes do. Everything is allocated in `init`, so `spawn()` makes only
/// async-signal-safe calls and may run in a child between `fork` and `exit`.
///
/// `@unchecked Sendable` is not claimed: one owner prepares and spawns.
public final class PreparedSpawn {
    private var actions = posix_spawn_file_actions_t()
    private let argv: [UnsafeMutablePointer<CChar>?]
    private var temporaries: [Int32] = []

    /// Prepares `arguments` (the executable's path first) with each `(source, target)` pair's `source` appearing
    /// as `target` in the child. Sources may be close-on-exec; targets are distinct.
    public init(arguments: [String], descriptors: [(source: Int32, target: Int32)]) throws(SharedMemoryError) {
        argv = arguments.map { strdup($0) } + [nil]
        posix_spawn_file_actions_init(&actions)
        let targets = Set(descriptors.map(\.target))
        for (source, target) in descriptors {
            // A source that is also some target would be overwritten (or, dup'ed onto itself, keep its
            // close-on-exec flag): hand the child a private copy above every target instead.
            var from = source
            if targets.contains(source) {
                from = fcntl(source, F_DUPFD_CLOEXEC, (targets.max() ?? 0) + 1)
                guard from >= 0 else {
                    throw SharedMemoryError(.creationFailed, "dup of descriptor \(source): \(errnoText(errno))")
                }
                temporaries.append(from)
            }
            let status = posix_spawn_file_actions_adddup2(&actions, from, target)
            guard status == 0 else {
                throw SharedMemoryError(.creationFailed, "posix_spawn_file_actions_adddup2: \(errnoText(status))")
            }
        }
        // Nothing else crosses: a descriptor some library opened without close-on-exec (the listening socket was
        // one) would otherwise live on in every worker, and keep the gateway's port bound after the gateway died.
        let status = bg_spawn_close_from(&actions, max(2, targets.max() ?? 2) + 1)
        guard status == 0 else {
            throw SharedMemoryError(.creationFailed, "posix_spawn_file_actions_addclosefrom_np: \(errnoText(status))")
        }
    }

    deinit {
        posix_spawn_file_actions_destroy(&actions)
        for pointer in argv { free(pointer) }
        for fd in temporaries { close(fd) }
    }

    /// The executable's path, as given.
    public var path: String { String(cString: argv[0]!) }

    /// Writes `value` as decimal digits into argument `index`, which must already be at least 12 bytes long
    /// (a placeholder such as `"000000000000"`); async-signal-safe, for a pid known only after a `fork`.
    public func setArgument(_ index: Int, to value: Int32) {
        guard let buffer = argv[index] else { return }
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        rest = value
        buffer[digits] = 0
        for position in stride(from: digits - 1, through: 0, by: -1) {
            buffer[position] = CChar(48 + rest % 10)
            rest /= 10
        }
    }

    /// Starts the child with this process's environment; returns its pid, or `-errno` when it could not start.
    public func spawn() -> pid_t {
        var pid: pid_t = 0
        let status = argv.withUnsafeBufferPointer { pointer in
            posix_spawn(&pid, argv[0]!, &actions, nil, UnsafeMutablePointer(mutating: pointer.baseAddress!), environ)
        }
        return status == 0 ? pid : -status
    }

    /// Starts the child like `spawn()`, but throws when it could not start.
    public func start() throws(SharedMemoryError) -> pid_t {
        let pid = spawn()
        guard pid > 0 else { throw SharedMemoryError(.creationFailed, "posix_spawn \(path): \(errnoText(-pid))") }
        return pid
    }
}
