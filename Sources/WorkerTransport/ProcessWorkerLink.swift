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

    /// Reads the worker's `Hello` (waits at most the hello timeout). A worker that exited with
    /// `WorkerExitStatus.cannotStart` throws `WorkerStartFailure`.
    public func hello() async throws -> Hello {
        try await onQueue { [self] in
            let message: [UInt8]
            do {
                message = try fromWorker.read(timeout: helloTimeout)
            } catch {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    stopped = true
                    // WIFEXITED and WEXITSTATUS, which Swift does not import.
                    if status & 0x7F == 0, (status >> 8) & 0xFF == WorkerExitStatus.cannotStart {
                        throw WorkerStartFailure(
                            "worker process \(pid) cannot start: its model file cannot be loaded or its KV cache "
                                + "cannot be allocated (exit status \(WorkerExitStatus.cannotStart); its reason is in the log)"
                        )
                    }
                }
                throw error
            }
            let hello = try Hello(decoding: message)
            guard hello.protocolVersion == MessageHeader.currentVersion else {
                throw WorkerLinkError(
                    "worker speaks protocol \(hello.protocolVersion), not \(MessageHeader.currentVersion)")
            }
            return hello
        }
    }

    /// Writes the step and waits for its result, at most the step timeout. A worker whose heartbeat stood still
    /// or that ran past the step timeout while its process is still there throws `WorkerHang`.
    public func step(_ step: Step) async throws -> StepResult {
        let bytes = step.encoded()
        return try await onQueue { [self] in
            do {
                try toWorker.write(bytes, timeout: .seconds(10))
                let result = try StepResult(decoding: fromWorker.read(timeout: stepTimeout))
                guard result.stepID == step.stepID else {
                    throw WorkerLinkError("worker answered step \(result.stepID) to step \(step.stepID)")
                }
                return result
            } catch let error as SharedMemoryError where error.code == .peerDied || error.code == .timedOut {
                throw hangOrDeath(error)
            }
        }
    }

    /// Throws when the worker process has exited (it is reaped then; `stop` copes with that), or `WorkerHang` when
    /// it is still there but its heartbeat has stood still past the bound (a stopped or wedged idle worker, which
    /// would otherwise count as live until the next step found it).
    public func checkAlive() throws {
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            throw WorkerLinkError("worker process \(pid) exited while idle (wait status \(status))")
        }
        // The monitor is the queue's; an idle link's queue has nothing else to do.
        try queue.sync { [self] in
            do {
                try monitor.checkPeer()
            } catch let error as SharedMemoryError {
                throw hangOrDeath(error)
            }
        }
    }

    /// `error` as a `WorkerHang` when the worker process is still there (neither exited nor a zombie), else as is.
    private func hangOrDeath(_ error: SharedMemoryError) -> any Error {
        guard ProcessIdentity(pid: pid, startTime: 0).isAlive else { return error }
        return WorkerHang("worker process \(pid) is still there but hung: \(error.description)")
    }

    /// Kills the process and reaps it.
    public func stop() async {
        _ = try? await onQueue { [self] in
            heartbeat.stop()
            // Reaped already (it exited before its hello): its pid may belong to another process by now.
            guard !stopped else { return }
            stopped = true
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }
}
