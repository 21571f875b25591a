import ArgumentParser
import Glibc
import SharedMemory

/// `batchgate bench-ipc [--json]`: round-trip latency and one-way throughput of the shared-memory
/// rings (spinning and sleep/wake) against a Unix socket pair, between the same two processes.
struct BenchIPCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-ipc",
        abstract: "Measure gateway↔worker IPC: shared-memory rings against a Unix socket pair.",
        discussion: """
            Spawns itself as the peer process, then measures round-trip p50/p99 for 64 B, 4 KiB and 64 KiB \
            messages and one-way throughput (64 B messages/s, 64 KiB GB/s) over the rings in spinning mode, \
            over the rings in sleep/wake mode (futex doorbell) and over a Unix domain socket pair. \
            Docs/bench-ipc.md explains every JSON key. Build with -c release before trusting the figures.
            """,
        subcommands: [BenchIPCPeerCommand.self]
    )

    @Option(help: "Timed round trips per message size and transport.")
    var iterations = 20_000

    @Option(help: "Untimed warm-up round trips before them.")
    var warmup = 2_000

    @Option(name: .customLong("stream-64b"), help: "Messages in each one-way 64-byte stream.")
    var smallStreamMessages = 2_000_000

    @Option(name: .customLong("stream-64k"), help: "Messages in each one-way 64 KiB stream.")
    var largeStreamMessages = 20_000

    @Option(help: "Bytes per ring: a power of two, at least 262144 (a 64 KiB record needs it); small rings stay in L2.")
    var ringCapacity = 1 << 18

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Flag(
        inversion: .prefixedNo,
        help:
            "Pin this process and the peer to different CPUs for every transport (--no-pin: the scheduler places them)."
    )
    var pin = true

    func validate() throws {
        try Self.validate(settings)
    }

    var settings: IPCBenchSettings {
        IPCBenchSettings(
            iterations: iterations, warmup: warmup, smallStreamMessages: smallStreamMessages,
            largeStreamMessages: largeStreamMessages, ringCapacity: ringCapacity)
    }

    static func validate(_ settings: IPCBenchSettings) throws {
        guard settings.iterations >= 1, settings.warmup >= 0 else {
            throw ValidationError("--iterations must be at least 1 and --warmup at least 0")
        }
        guard settings.smallStreamMessages >= 1, settings.largeStreamMessages >= 1 else {
            throw ValidationError("--stream-64b and --stream-64k must be at least 1")
        }
        let capacity = settings.ringCapacity
        guard capacity >= 1 << 18, capacity <= 1 << 30, capacity & (capacity - 1) == 0 else {
            throw ValidationError("--ring-capacity must be a power of two between 262144 and 1073741824")
        }
    }

    func run() throws {
        let settings = settings
        let segment = try SharedSegment.create(
            toWorkerCapacity: settings.ringCapacity, toGatewayCapacity: settings.ringCapacity, name: "batchgate-bench")
        let sockets = try makeSocketPair()
        defer { close(sockets.local) }
        let arguments =
            [
                "/proc/self/exe", "bench-ipc", "peer", "--segment-fd", "3", "--socket-fd", "4",
                "--settings", settings.encoded,
            ] + (pin ? ["--pin"] : [])
        let pid = try PreparedSpawn(
            arguments: arguments, descriptors: [(segment.fileDescriptor, 3), (sockets.remote, 4)]
        )
        .start()
        close(sockets.remote)
        let outcome = Result {
            try IPCBenchPhases.drive(
                IPCBenchLink(segment: segment, socket: sockets.local, spawnedPeer: pid, cpu: pin ? 0 : nil),
                settings)
        }
        if case .failure = outcome { kill(pid, SIGKILL) }
        let status = waitForExit(pid)
        let (latencies, streams) = try outcome.get()
        guard status == 0 else { throw IPCBenchError("the peer process exited with status \(status)") }
        let report = IPCBenchReport(settings: settings, latencies: latencies, streams: streams)
        print(json ? report.json : report.table)
    }
}

/// `batchgate bench-ipc peer`: the other process of `bench-ipc`, started by it and never by hand.
struct BenchIPCPeerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer",
        abstract: "The peer process of bench-ipc (started by bench-ipc, not by hand).",
        shouldDisplay: false
    )

    @Option(name: .customLong("segment-fd"), help: "The inherited memfd of the segment.")
    var segmentDescriptor: Int32

    @Option(name: .customLong("socket-fd"), help: "The inherited end of the socket pair.")
    var socketDescriptor: Int32

    @Option(help: "The parent's settings, packed by IPCBenchSettings.encoded.")
    var settings: String

    @Flag(help: "Pin to the second allowed CPU (the parent takes the first).")
    var pin = false

    func run() throws {
        // Die with the parent instead of spinning forever on a ring nobody writes.
        guard setParentDeathSignal(SIGKILL, expectedParent: getppid()) else { throw ExitCode.failure }
        guard let settings = IPCBenchSettings(encoded: settings) else {
            throw ValidationError("--settings is not five comma-separated integers")
        }
        try BenchIPCCommand.validate(settings)
        let segment = try SharedSegment.open(fileDescriptor: segmentDescriptor)
        defer { close(socketDescriptor) }
        try IPCBenchPhases.serve(
            IPCBenchLink(segment: segment, socket: socketDescriptor, cpu: pin ? 1 : nil), settings)
    }
}
