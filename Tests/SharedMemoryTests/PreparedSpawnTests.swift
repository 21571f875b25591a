import Glibc
import SharedMemory
import Testing

/// Children get exactly the descriptors they are handed, at the numbers asked for.
@Suite("Spawning a worker with its segment")
struct PreparedSpawnTests {
    /// Runs `script` in `/bin/sh` with `descriptors` and returns its exit status.
    func run(_ script: String, _ descriptors: [(source: Int32, target: Int32)] = []) throws -> Int32 {
        let pid = try PreparedSpawn(arguments: ["/bin/sh", "-c", script], descriptors: descriptors).start()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status >> 8) & 0xFF
    }

    @Test("The child sees the segment at the target number, another child does not see it at all")
    func onlyTheChildThatIsHandedTheSegmentHoldsIt() throws {
        let segment = try SharedSegment.create(toWorkerCapacity: 4096, toGatewayCapacity: 4096)
        let holdsMemfd = "for f in /proc/$$/fd/*; do case $(readlink $f) in /memfd:*) exit 0;; esac; done; exit 1"
        #expect(
            try run("case $(readlink /proc/$$/fd/7) in /memfd:*) exit 0;; esac; exit 1", [(segment.fileDescriptor, 7)])
                == 0)
        #expect(try run(holdsMemfd) == 1)
    }

    @Test("A source that is also a target number still arrives")
    func sourceEqualToTarget() throws {
        let segment = try SharedSegment.create(toWorkerCapacity: 4096, toGatewayCapacity: 4096)
        let fd = segment.fileDescriptor
        #expect(try run("case $(readlink /proc/$$/fd/\(fd)) in /memfd:*) exit 0;; esac; exit 1", [(fd, fd)]) == 0)
    }

    @Test("A missing executable is an error, not a pid")
    func missingExecutable() {
        #expect(throws: SharedMemoryError.self) {
            _ = try PreparedSpawn(arguments: ["/nonexistent/batchgate"], descriptors: []).start()
        }
    }
}
