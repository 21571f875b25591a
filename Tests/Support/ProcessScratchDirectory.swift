import Foundation

/// A temporary directory of this test process (`PREFIX-PID` in the system's temporary directory), for files that
/// live as long as the process. Test processes end without a hook to delete them, so making one first removes the
/// directories of the same prefix whose process is gone: each run leaves at most its own behind.
public enum ProcessScratchDirectory {
    /// Creates (if needed) and returns this process's directory for `prefix`, after removing those of dead
    /// processes.
    public static func make(prefix: String) throws -> String {
        let temporary = FileManager.default.temporaryDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for name in names where name.hasPrefix(prefix + "-") {
            guard let pid = Int32(name.dropFirst(prefix.count + 1)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
        }
        let path = temporary.appendingPathComponent("\(prefix)-\(getpid())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
