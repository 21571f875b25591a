import Glibc
import Testing

@testable import SharedMemory

@Suite("Segment creation, header and identity")
struct SegmentTests {
    @Test("Opening a published segment sees its sizes")
    func opensPublished() throws {
        let segment = try SharedSegment.create(toWorkerCapacity: 8192, toGatewayCapacity: 4096)
        let opened = try SharedSegment.open(fileDescriptor: try segment.duplicateDescriptor())
        #expect(opened.side == .worker)
        #expect(opened.toWorkerCapacity == 8192)
        #expect(opened.toGatewayCapacity == 4096)
        #expect(opened.identity(of: .gateway)?.pid == getpid())
        #expect(segment.identity(of: .worker)?.pid == getpid())
    }

    @Test("The segment and its duplicates stay close-on-exec")
    func closeOnExec() throws {
        let segment = try SharedSegment.create(toWorkerCapacity: 4096, toGatewayCapacity: 4096)
        #expect(fcntl(segment.fileDescriptor, F_GETFD) & FD_CLOEXEC != 0)
        let copy = try segment.duplicateDescriptor()
        defer { close(copy) }
        #expect(fcntl(copy, F_GETFD) & FD_CLOEXEC != 0)
    }

    enum Damage: String, CaseIterable, Sendable {
        case wrongMagic, versionNotWritten, otherVersion, wrongSizes
    }

    @Test("Refuses a header that is damaged or not published yet", arguments: Damage.allCases)
    func refusesDamagedHeader(damage: Damage) throws {
        let segment = try SharedSegment.create(toWorkerCapacity: 4096, toGatewayCapacity: 4096)
        switch damage {
        case .wrongMagic: segment.word64(SegmentLayout.magicOffset).pointee = 0x1234
        case .versionNotWritten: segment.word32(SegmentLayout.versionOffset).pointee = 0
        case .otherVersion: segment.word32(SegmentLayout.versionOffset).pointee = SegmentLayout.version + 1
        case .wrongSizes: segment.word64(SegmentLayout.toGatewayCapacityOffset).pointee = 8192
        }
        let fd = try segment.duplicateDescriptor()
        defer { close(fd) }
        let error = #expect(throws: SharedMemoryError.self) { try SharedSegment.open(fileDescriptor: fd) }
        #expect(error?.code == (damage == .otherVersion ? .versionMismatch : .badHeader))
    }

    @Test("Refuses a descriptor smaller than a header")
    func refusesTinyFile() throws {
        let segment = try SharedSegment.create(toWorkerCapacity: 4096, toGatewayCapacity: 4096)
        let fd = try segment.duplicateDescriptor()
        defer { close(fd) }
        #expect(ftruncate(fd, 100) == 0)
        let error = #expect(throws: SharedMemoryError.self) { try SharedSegment.open(fileDescriptor: fd) }
        #expect(error?.code == .badHeader)
    }

    @Test("Refuses capacities that are not powers of two in range", arguments: [0, 1000, 4095, 6144, 1 << 31])
    func refusesBadCapacity(capacity: Int) {
        let error = #expect(throws: SharedMemoryError.self) {
            try SharedSegment.create(toWorkerCapacity: capacity, toGatewayCapacity: 4096)
        }
        #expect(error?.code == .invalidSize)
    }

    /// memfd memory is shmem outside any mounted tmpfs, so there is no size cap to fill honestly
    /// (filling RAM would invite the OOM killer). shmem's fallocate does honour RLIMIT_FSIZE,
    /// though: in a child with a 64 KiB file size limit (and SIGXFSZ ignored), posix_fallocate
    /// returns EFBIG, which exercises the same "check the returned error number" path.
    @Test("posix_fallocate failure is noSpace at creation, not SIGBUS later")
    func fallocateFailure() throws {
        _ = SharedMemoryError(.noSpace, "warm up the type before forking")
        let child = forkChild {
            var limit = rlimit(rlim_cur: 65536, rlim_max: 65536)
            guard setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0 else { return 10 }
            signal(SIGXFSZ, SIG_IGN)
            do {
                _ = try SharedSegment.create(toWorkerCapacity: 1 << 20, toGatewayCapacity: 1 << 20)
                return 11
            } catch let error as SharedMemoryError {
                return error.code == .noSpace ? 0 : 12
            } catch {
                return 13
            }
        }
        #expect(reap(child) == 0)
    }

    @Test("Reads pid, state and start time from /proc stat lines")
    func parsesStat() {
        let line = Array("1234 (a) b) (c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 98765 19 20".utf8)
        let stat = ProcStat.parse(line[...])
        #expect(stat?.state == UInt8(ascii: "S"))
        #expect(stat?.startTime == 98765)
        #expect(ProcStat.parse(Array("garbage".utf8)[...]) == nil)
    }

    @Test("Knows a live process from a dead or recycled one")
    func liveness() {
        let me = ProcessIdentity.current()
        #expect(me.startTime > 0)
        #expect(me.isAlive)
        #expect(!ProcessIdentity(pid: me.pid, startTime: me.startTime + 1).isAlive)
        let child = forkChild { 0 }
        let zombie = ProcessIdentity(pid: child, startTime: 0)
        usleep(50_000)
        #expect(!zombie.isAlive)
        reap(child)
        #expect(!zombie.isAlive)
    }
}
