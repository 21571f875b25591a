import Dispatch
import Glibc
import SharedMemory
import WorkerProtocol

/// How to start `batchgate worker` processes for one model.
public struct WorkerProcessLauncher: WorkerLauncher {
    /// The `batchgate` executable.
    public var executable: String
    /// Arguments after `worker --segment-fd N` (model, name, threads, KV cache, batch limit).
    public var arguments: [String]
    /// Ring capacity each way, a power of two.
    public var ringCapacity: Int
    /// How long a worker may take to load its model and say hello.
    public var helloTimeout: Duration
    /// How long a worker may go without a heartbeat before it counts as dead (a stopped or wedged process; the
    /// worker beats from a thread of its own, also while it computes).
    public var stalenessBound: Duration
    /// The longest one step may take before its worker counts as hung.
    public var stepTimeout: Duration

    /// Creates a launcher.
    public init(
        executable: String, arguments: [String], ringCapacity: Int = 1 << 20, helloTimeout: Duration = .seconds(120),
        stalenessBound: Duration = .seconds(5), stepTimeout: Duration = .seconds(600)
    ) {
        self.executable = executable
        self.arguments = arguments
        self.ringCapacity = ringCapacity
        self.helloTimeout = helloTimeout
        self.stalenessBound = stalenessBound
        self.stepTimeout = stepTimeout
    }

    /// The largest step the gateway-to-worker ring takes.
    public var maxStepBytes: Int { ByteRing.maximumRecordLength(capacity: ringCapacity) }

    /// A ring capacity (a power of two, at least 1 MiB) whose records take a step of `bytes`.
    public static func ringCapacity(forSteps bytes: Int) -> Int {
        var capacity = 1 << 20
        while ByteRing.maximumRecordLength(capacity: capacity) < bytes { capacity *= 2 }
        return capacity
    }

    /// The descriptor number the worker finds its segment at.
    static let childSegmentFD: Int32 = 3

    /// Creates a segment, spawns the worker with the segment as descriptor 3, and returns the link.
    public func launch(index: Int) async throws -> any WorkerLink {
        let segment = try SharedSegment.create(
            toWorkerCapacity: ringCapacity, toGatewayCapacity: ringCapacity, name: "batchgate-worker-\(index)")
        let argv = [executable, "worker", "--segment-fd", "\(Self.childSegmentFD)"] + arguments
        let pid = try PreparedSpawn(arguments: argv, descriptors: [(segment.fileDescriptor, Self.childSegmentFD)])
            .start()
        return ProcessWorkerLink(
            segment: segment, pid: pid, helloTimeout: helloTimeout, stepTimeout: stepTimeout,
            stalenessBound: stalenessBound)
    }
}

/// The gateway end of one worker process's segment. Blocking ring I/O runs on the link's own serial
/// dispatch queue, never on the concurrency pool's threads.
///
/// `@unchecked Sendable`: the monitor and rings (not thread-safe) are only touched on `queue`, one call at a
/// time; `pid` is immutable and `stopped` is only read and written on `queue` too.
public final class ProcessWorkerLink: WorkerLink, @unchecked Sendable {
    /// The worker's process id.
    public let pid: pid_t
    private let segment: SharedSegment
    private let monitor: PeerMonitor
    private let toWorker: ByteRing
    private let fromWorker: ByteRing
    private let helloTimeout: Duration
    private let stepTimeout: Duration
    private let queue: DispatchQueue
    private var stopped = false
    /// Beats this side's heartbeat every 100 ms for as long as the link lives. The worker counts a gateway whose
    /// heartbeat stands still for the staleness bound as dead and exits; beating only while waiting on a ring
    /// made every idle worker exit after 5 s and come back after a doubling back-off (up to 10 s), which a
    /// request arriving then waited for.
    private let heartbeat: DispatchSourceTimer

    init(segment: SharedSegment, pid: pid_t, helloTimeout: Duration, stepTimeout: Duration, stalenessBound: Duration) {
        self.segment = segment
        self.stepTimeout = stepTimeout
        self.pid = pid
        self.helloTimeout = helloTimeout
        monitor = PeerMonitor(segment: segment, stalenessBound: stalenessBound)
        toWorker = .outgoing(monitor)
        fromWorker = .incoming(monitor)
        queue = DispatchQueue(label: "batchgate.worker-link.\(pid)")
        heartbeat = DispatchSource.makeTimerSource(queue: .global())
        heartbeat.schedule(deadline: .now(), repeating: .milliseconds(100))
        heartbeat.setEventHandler { [segment] in segment.beat() }
        heartbeat.resume()
    }

    deinit { heartbeat.cancel() }

    /// Runs `body` on the link's queue. Cancelling the waiting task kills the worker, so that a blocked ring wait
    /// ends at once with "peer died" instead of running out its timeout.
    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let pid = pid
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                queue.async { continuation.resume(with: Result { try body() }) }
            }
        } onCancel: {
            kill(pid, SIGKILL)
        }
    }

    /// Reads the worker's `Hello` (waits at most the hello timeout).
    public func hello() async throws -> Hello {
        try await onQueue { [self] in
            let hello = try Hello(decoding: fromWorker.read(timeout: helloTimeout))
            guard hello.protocolVersion == MessageHeader.currentVersion else {
                throw WorkerLinkError(
                    "worker speaks protocol \(hello.protocolVersion), not \(MessageHeader.currentVersion)")
            }
            return hello
        }
    }

    /// Writes the step and waits for its result, at most the step timeout.
    public func step(_ step: Step) async throws -> StepResult {
        let bytes = step.encoded()
        return try await onQueue { [self] in
            try toWorker.write(bytes, timeout: .seconds(10))
            let result = try StepResult(decoding: fromWorker.read(timeout: stepTimeout))
            guard result.stepID == step.stepID else {
                throw WorkerLinkError("worker answered step \(result.stepID) to step \(step.stepID)")
            }
            return result
        }
    }

    /// Throws when the worker process has exited (it is reaped then; `stop` copes with that).
    public func checkAlive() throws {
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            throw WorkerLinkError("worker process \(pid) exited while idle (wait status \(status))")
        }
    }

    /// Kills the process and reaps it.
    public func stop() async {
        _ = try? await onQueue { [self] in
            guard !stopped else { return }
            stopped = true
            heartbeat.cancel()
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }
}
