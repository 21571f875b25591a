import Dispatch
import Glibc
import Scheduler
import SharedMemory
import WorkerProtocol

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
    /// Beats this side's heartbeat for as long as the link lives. The worker counts a gateway whose heartbeat
    /// stands still for the staleness bound as dead and exits; beating only while waiting on a ring made every
    /// idle worker exit after 5 s and come back after a doubling back-off (up to 10 s), which a request arriving
    /// then waited for.
    private let heartbeat: Heartbeat

    init(segment: SharedSegment, pid: pid_t, helloTimeout: Duration, stepTimeout: Duration, stalenessBound: Duration) {
        self.segment = segment
        self.stepTimeout = stepTimeout
        self.pid = pid
        self.helloTimeout = helloTimeout
        monitor = PeerMonitor(segment: segment, stalenessBound: stalenessBound)
        toWorker = .outgoing(monitor)
        fromWorker = .incoming(monitor)
        queue = DispatchQueue(label: "batchgate.worker-link.\(pid)")
        heartbeat = Heartbeat(segment: segment)
    }

    deinit { heartbeat.stop() }

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
            heartbeat.stop()
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }
}
