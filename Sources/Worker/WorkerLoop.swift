import Glibc
import InferenceCore
import SharedMemory
import WorkerProtocol

/// Why a worker loop stopped other than by its gateway going away.
public struct WorkerError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in words.
    public let detail: String
    /// Creates an error.
    public init(_ detail: String) { self.detail = detail }
    /// The detail.
    public var description: String { detail }
}

/// The worker side of one gateway link: sends `Hello`, then answers every `Step` with one `Engine.step`
/// and its `StepResult`, until the gateway dies.
///
/// Liveness: the ring's blocking read and write beat this side's heartbeat; `batchgate worker` also beats from a
/// thread of its own, so that a model load or a forward pass longer than the gateway's staleness bound is not
/// taken for a hang.
///
/// Not `Sendable`: it owns the engine, which runs on the calling thread.
public final class WorkerLoop {
    /// The model's name, as `Hello` reports it.
    public let modelName: String
    /// The most tokens one step may carry, as `Hello` reports it.
    public let maxBatchTokens: Int
    private let monitor: PeerMonitor
    private let incoming: ByteRing
    private let outgoing: ByteRing
    private let executor: any StepHandling

    /// A loop on the worker side of `segment` running steps on `engine`, judging the gateway dead after
    /// `stalenessBound` without a beat.
    public convenience init(
        segment: SharedSegment, engine: Engine, modelName: String, maxBatchTokens: Int,
        stalenessBound: Duration = .seconds(5)
    ) {
        self.init(
            segment: segment, handler: StepExecutor(engine: engine), modelName: modelName,
            maxBatchTokens: maxBatchTokens, stalenessBound: stalenessBound)
    }

    /// A loop on the worker side of `segment` answering steps with `handler`.
    public init(
        segment: SharedSegment, handler: any StepHandling, modelName: String, maxBatchTokens: Int,
        stalenessBound: Duration = .seconds(5)
    ) {
        executor = handler
        self.modelName = modelName
        self.maxBatchTokens = maxBatchTokens
        monitor = PeerMonitor(segment: segment, stalenessBound: stalenessBound)
        incoming = ByteRing.incoming(monitor)
        outgoing = ByteRing.outgoing(monitor)
    }

    /// The handshake this worker sends first.
    public var hello: Hello { executor.hello(modelName: modelName, maxBatchTokens: maxBatchTokens) }

    /// Sends `Hello`, then runs steps until the gateway dies (returns normally). Throws `WorkerError` for a
    /// message that is not a valid `Step` or a link failure other than the peer's death.
    public func run() throws(WorkerError) {
        do {
            try outgoing.write(hello.encoded())
            while true {
                let bytes = try incoming.read()
                let message: WorkerMessage
                do {
                    message = try WorkerMessage.decode(bytes)
                } catch {
                    throw WorkerError("undecodable message from the gateway (\(bytes.count) bytes): \(error)")
                }
                guard case .step(let step) = message else {
                    throw WorkerError("expected a step from the gateway, got \(message.kind)")
                }
                let result = executor.handle(step)
                monitor.beat()
                try outgoing.write(result.encoded())
            }
        } catch let error as SharedMemoryError where error.code == .peerDied {
            return
        } catch let error as WorkerError {
            throw error
        } catch {
            throw WorkerError("link failure: \(error)")
        }
    }
}
