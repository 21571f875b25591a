import CShims
import Glibc

/// One gateway↔worker segment: a header, a ring each way and a doorbell each way, in a `memfd`
/// mapped `MAP_SHARED` by both processes. The gateway `create`s it and hands the descriptor to the
/// worker, which `open`s it; the memory goes away when the last descriptor and mapping do.
///
/// `@unchecked Sendable`: every stored property is immutable after `init`; the mapped memory is
/// only touched through atomics and the single-producer/single-consumer ring protocol.
public final class SharedSegment: @unchecked Sendable {
    /// The memfd (created with `MFD_CLOEXEC`; a worker gets it through `PreparedSpawn`).
    public let fileDescriptor: Int32
    /// Which process this view belongs to.
    public let side: SegmentSide
    /// Capacity in bytes of the gateway → worker ring.
    public let toWorkerCapacity: Int
    /// Capacity in bytes of the worker → gateway ring.
    public let toGatewayCapacity: Int
    /// Total mapped size.
    public let size: Int
    let base: UnsafeMutableRawPointer

    private init(fd: Int32, side: SegmentSide, base: UnsafeMutableRawPointer, size: Int, toWorker: Int, toGateway: Int)
    {
        self.fileDescriptor = fd
        self.side = side
        self.base = base
        self.size = size
        self.toWorkerCapacity = toWorker
        self.toGatewayCapacity = toGateway
    }

    deinit {
        munmap(base, size)
        close(fileDescriptor)
    }

    /// Creates a segment for the gateway side. Capacities are powers of two between 4 KiB and 1 GiB.
    /// The memory is reserved with `posix_fallocate`, so a full tmpfs fails here with `noSpace`
    /// instead of a SIGBUS on first touch later.
    public static func create(
        toWorkerCapacity: Int, toGatewayCapacity: Int, name: String = "batchgate-link"
    ) throws(SharedMemoryError) -> SharedSegment {
        for capacity in [toWorkerCapacity, toGatewayCapacity] {
            guard capacity >= SegmentLayout.minimumCapacity, capacity <= SegmentLayout.maximumCapacity,
                capacity & (capacity - 1) == 0
            else {
                throw SharedMemoryError(.invalidSize, "ring capacity \(capacity) is not a power of two in 4 KiB…1 GiB")
            }
        }
        let size = SegmentLayout.headerSize + toWorkerCapacity + toGatewayCapacity
        let fd = bg_memfd_create(name, bg_mfd_cloexec())
        guard fd >= 0 else { throw SharedMemoryError(.creationFailed, "memfd_create: \(errnoText(errno))") }
        // posix_fallocate returns the error number instead of setting errno.
        let result = posix_fallocate(fd, 0, off_t(size))
        if result != 0 {
            close(fd)
            let code: SharedMemoryError.Code =
                [ENOSPC, ENOMEM, EFBIG].contains(result) ? .noSpace : .creationFailed
            throw SharedMemoryError(code, "posix_fallocate(\(size) bytes): \(errnoText(result))")
        }
        let base: UnsafeMutableRawPointer
        do throws(SharedMemoryError) {
            base = try map(fd: fd, size: size)
        } catch {
            close(fd)
            throw error
        }
        let segment = SharedSegment(
            fd: fd, side: .gateway, base: base, size: size, toWorker: toWorkerCapacity, toGateway: toGatewayCapacity)
        // The file is zero-filled, so positions, doorbells and heartbeats start at 0.
        segment.word64(SegmentLayout.magicOffset).pointee = SegmentLayout.magic
        segment.word64(SegmentLayout.toWorkerCapacityOffset).pointee = UInt64(toWorkerCapacity)
        segment.word64(SegmentLayout.toGatewayCapacityOffset).pointee = UInt64(toGatewayCapacity)
        segment.register(.current())
        // Written last: an opener that sees the version sees everything above.
        bg_store_release_u32(segment.word32(SegmentLayout.versionOffset), SegmentLayout.version)
        return segment
    }

    /// Opens, for the worker side, a segment the gateway created; `fileDescriptor` is the inherited
    /// number (this object owns it from now on). Refuses a header without the magic number or
    /// without the version (not published yet), and a different version.
    /// When it throws, the descriptor stays the caller's to close.
    public static func open(fileDescriptor fd: Int32) throws(SharedMemoryError) -> SharedSegment {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SharedMemoryError(.creationFailed, "fstat(\(fd)): \(errnoText(errno))")
        }
        let fileSize = Int(info.st_size)
        guard fileSize >= SegmentLayout.headerSize else {
            throw SharedMemoryError(.badHeader, "segment is \(fileSize) bytes, smaller than its header")
        }
        let base = try map(fd: fd, size: fileSize)
        func refuse(_ code: SharedMemoryError.Code, _ detail: String) -> SharedMemoryError {
            munmap(base, fileSize)
            return SharedMemoryError(code, detail)
        }
        let magic = base.load(fromByteOffset: SegmentLayout.magicOffset, as: UInt64.self)
        let version = bg_load_acquire_u32(
            (base + SegmentLayout.versionOffset).assumingMemoryBound(to: UInt32.self))
        guard magic == SegmentLayout.magic else { throw refuse(.badHeader, "wrong magic number") }
        guard version != 0 else { throw refuse(.badHeader, "header not published yet (version is 0)") }
        guard version == SegmentLayout.version else {
            throw refuse(.versionMismatch, "layout version \(version), expected \(SegmentLayout.version)")
        }
        let toWorker = Int(base.load(fromByteOffset: SegmentLayout.toWorkerCapacityOffset, as: UInt64.self))
        let toGateway = Int(base.load(fromByteOffset: SegmentLayout.toGatewayCapacityOffset, as: UInt64.self))
        guard toWorker >= SegmentLayout.minimumCapacity, toGateway >= SegmentLayout.minimumCapacity,
            toWorker & (toWorker - 1) == 0, toGateway & (toGateway - 1) == 0,
            SegmentLayout.headerSize + toWorker + toGateway == fileSize
        else { throw refuse(.badHeader, "ring sizes \(toWorker) + \(toGateway) do not match \(fileSize) bytes") }
        let segment = SharedSegment(
            fd: fd, side: .worker, base: base, size: fileSize, toWorker: toWorker, toGateway: toGateway)
        segment.register(.current())
        return segment
    }

    /// A close-on-exec duplicate of the descriptor, for opening the worker's view in this process or in a
    /// forked child (a spawned worker gets the segment through `PreparedSpawn`, never through an inheritable
    /// descriptor that a sibling spawned at the same moment could also inherit).
    public func duplicateDescriptor() throws(SharedMemoryError) -> Int32 {
        let copy = fcntl(fileDescriptor, F_DUPFD_CLOEXEC, 3)
        guard copy >= 0 else { throw SharedMemoryError(.creationFailed, "dup: \(errnoText(errno))") }
        return copy
    }

    /// Capacity of the ring going `direction`.
    public func capacity(_ direction: RingDirection) -> Int {
        direction == .toWorker ? toWorkerCapacity : toGatewayCapacity
    }

    /// The identity `side` registered, or `nil` before it has.
    public func identity(of side: SegmentSide) -> ProcessIdentity? {
        let pid = bg_load_acquire_u32(word32(SegmentLayout.pidOffset(side)))
        guard pid != 0 else { return nil }
        return ProcessIdentity(
            pid: Int32(bitPattern: pid), startTime: word64(SegmentLayout.startTimeOffset(side)).pointee)
    }

    /// Bumps this side's heartbeat counter.
    public func beat() {
        _ = bg_fetch_add_u64(word64(SegmentLayout.heartbeatOffset(side)), 1)
    }

    /// The heartbeat counter of `side`.
    public func heartbeat(of side: SegmentSide) -> UInt64 {
        bg_load_acquire_u64(word64(SegmentLayout.heartbeatOffset(side)))
    }

    /// Writes this side's pid and start time; the pid last, with a release store.
    func register(_ identity: ProcessIdentity) {
        word64(SegmentLayout.startTimeOffset(side)).pointee = identity.startTime
        bg_store_release_u32(word32(SegmentLayout.pidOffset(side)), UInt32(bitPattern: identity.pid))
    }

    func word32(_ offset: Int) -> UnsafeMutablePointer<UInt32> {
        (base + offset).assumingMemoryBound(to: UInt32.self)
    }

    func word64(_ offset: Int) -> UnsafeMutablePointer<UInt64> {
        (base + offset).assumingMemoryBound(to: UInt64.self)
    }

    /// Start of the data area of the ring going `direction`.
    func ringData(_ direction: RingDirection) -> UnsafeMutableRawPointer {
        base + SegmentLayout.headerSize + (direction == .toWorker ? 0 : toWorkerCapacity)
    }

    private static func map(fd: Int32, size: Int) throws(SharedMemoryError) -> UnsafeMutableRawPointer {
        // MAP_POPULATE: fault every page in now, so the first laps of the rings do not pay a page
        // fault per 4 KiB on the hot path.
        let pointer = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0)
        guard let pointer, pointer != MAP_FAILED else {
            throw SharedMemoryError(.creationFailed, "mmap(\(size) bytes): \(errnoText(errno))")
        }
        return pointer
    }
}

/// `strerror` as a Swift string.
func errnoText(_ number: Int32) -> String {
    String(cString: strerror(number))
}
