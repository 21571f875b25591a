import Glibc
import SharedMemory

/// One side's ends of the three transports, with the send and receive primitives each phase uses.
/// Not `Sendable`: it belongs to the thread that runs the benchmark.
final class IPCBenchLink {
    let segment: SharedSegment
    let outgoing: ByteRing
    let incoming: ByteRing
    let socket: Int32
    /// The peer as known before it registers in the segment (the gateway side knows the pid it spawned).
    let spawnedPeer: ProcessIdentity?
    /// The allowed-CPU index this side is pinned to; nil: the scheduler places it.
    let cpu: Int?
    private var polls = 0

    init(segment: SharedSegment, socket: Int32, spawnedPeer: pid_t? = nil, cpu: Int? = nil) {
        self.segment = segment
        self.cpu = cpu
        self.spawnedPeer = spawnedPeer.map { ProcessIdentity(pid: $0, startTime: 0) }
        let monitor = PeerMonitor(segment: segment, stalenessBound: .seconds(60))
        outgoing = ByteRing.outgoing(monitor)
        incoming = ByteRing.incoming(monitor)
        self.socket = socket
    }

    /// Sets how the blocking ring calls wait for `transport` (sleep/wake mode sleeps at once), and, when
    /// pinning, keeps this side on its own CPU: every transport then runs with the same placement, one process
    /// per core, as a gateway and a busy worker would.
    func prepare(_ transport: IPCTransport) throws {
        let spins = transport == .shmSleep ? 0 : 200
        outgoing.spinIterations = spins
        incoming.spinIterations = spins
        if let cpu, !pinCurrentThread(toAllowedCPU: cpu) {
            throw IPCBenchError("could not pin to CPU #\(cpu); run bench-ipc with --no-pin")
        }
    }

    /// Sends one message of `bytes` over `transport`.
    @inline(__always)
    func send(_ bytes: UnsafeRawBufferPointer, over transport: IPCTransport) throws {
        switch transport {
        case .shmSpin:
            while try !outgoing.tryWrite(bytes) { try idle() }
        case .shmSleep:
            try outgoing.write(bytes, timeout: .seconds(30))
        case .uds:
            try writeFully(bytes)
        }
    }

    /// Receives one message of exactly `buffer.count` bytes over `transport` into `buffer`.
    @inline(__always)
    func receive(into buffer: UnsafeMutableRawBufferPointer, over transport: IPCTransport) throws {
        switch transport {
        case .shmSpin:
            while true {
                if let count = try incoming.tryRead({ Self.copy($0, to: buffer) }) {
                    try Self.check(count, buffer.count)
                    return
                }
                try idle()
            }
        case .shmSleep:
            try Self.check(try incoming.read(timeout: .seconds(30)) { Self.copy($0, to: buffer) }, buffer.count)
        case .uds:
            try readFully(buffer)
        }
    }

    /// Writes all of `bytes` to the socket.
    func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let written = Glibc.write(socket, bytes.baseAddress! + done, bytes.count - done)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw IPCBenchError("socket write failed: errno \(errno)") }
            done += written
        }
    }

    /// Reads exactly `buffer.count` bytes from the socket.
    func readFully(_ buffer: UnsafeMutableRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            done += try readSome(UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
        }
    }

    /// One `read` from the socket: at least one byte, or an error at end of file.
    func readSome(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Glibc.read(socket, buffer.baseAddress, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw IPCBenchError("socket read failed or peer closed: errno \(errno)") }
            return count
        }
    }

    /// Called on every empty poll: every 1024 polls it yields the CPU (so on an oversubscribed
    /// machine a descheduled peer gets to run instead of this side spinning out its time slice);
    /// every few million polls it checks that the peer process lives.
    @inline(__always)
    private func idle() throws {
        polls &+= 1
        guard polls & 0x3FF == 0 else { return }
        sched_yield()
        guard polls & 0x3F_FFFF == 0 else { return }
        if let identity = segment.identity(of: segment.side.peer) ?? spawnedPeer, !identity.isAlive {
            throw IPCBenchError("the peer process \(identity.pid) died")
        }
    }

    @inline(__always)
    private static func copy(_ source: UnsafeRawBufferPointer, to buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(source.count, buffer.count)
        if count > 0 { buffer.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: count) }
        return source.count
    }

    private static func check(_ received: Int, _ expected: Int) throws {
        guard received == expected else { throw IPCBenchError("got a \(received)-byte record, expected \(expected)") }
    }
}

/// A failure of the benchmark itself (a dead peer, a short message).
struct IPCBenchError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
}
