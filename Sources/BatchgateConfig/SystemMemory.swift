import Foundation

/// What the machine (or the cgroup the process runs in) can still give: the figure memory-based defaults start from.
public enum SystemMemory {
    /// Bytes that can be allocated without swapping or reclaiming memory others need: the kernel's `MemAvailable`
    /// (free memory plus page cache it can drop), lowered to the room left under the cgroup's `memory.max` when the
    /// process runs in a limited container. Nil when neither can be read (not Linux).
    public static func availableBytes() -> Int? {
        let host = meminfoAvailable()
        guard let limit = cgroupRoom() else { return host }
        return host.map { min($0, limit) } ?? limit
    }

    /// `MemAvailable` from `/proc/meminfo`, in bytes.
    static func meminfoAvailable() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kib = Int(fields[1]) else { return nil }
            return kib * 1024
        }
        return nil
    }

    /// The room left under this process's cgroup memory limit (v2 `memory.max − memory.current`, or v1
    /// `memory.limit_in_bytes − memory.usage_in_bytes`), or nil when there is no limit.
    static func cgroupRoom() -> Int? {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        let lines = membership.split(separator: "\n")
        /// The number in `file`, nil when it is missing or says there is no limit.
        func number(_ file: String) -> Int? {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), value < 1 << 60
            else { return nil }
            return value
        }
        if let v1 = lines.first(where: { $0.contains(":memory:") }) {
            // Inside a container the listed path may not exist in its own view; the mount's root is then the group.
            let listed = "/sys/fs/cgroup/memory" + v1.split(separator: ":", maxSplits: 2)[2]
            for directory in [listed, "/sys/fs/cgroup/memory"] {
                if let limit = number(directory + "/memory.limit_in_bytes"),
                    let usage = number(directory + "/memory.usage_in_bytes")
                {
                    return max(0, limit - usage)
                }
            }
            return nil
        }
        guard let v2 = lines.first(where: { $0.hasPrefix("0::") }) else { return nil }
        let directory = "/sys/fs/cgroup" + v2.dropFirst(3)
        guard let limit = number(directory + "/memory.max"), let usage = number(directory + "/memory.current")
        else { return nil }
        return max(0, limit - usage)
    }
}
