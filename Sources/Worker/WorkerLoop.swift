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
/// Liveness: the ring's blocking read and write beat this side's heartbeat; a forward pass longer than
/// the gateway's staleness bound does not beat in the middle (the gateway should allow for its longest step).
///
/// Not `Sendable`: it owns the engine, which runs on the calling thread.
public final class WorkerLoop {
    /// The engine every step runs on.
    public let engine: Engine
    /// The model's name, as `Hello` reports it.
    public let modelName: String
    /// The most tokens one step may carry, as `Hello` reports it.
    public let maxBatchTokens: Int
    private let monitor: PeerMonitor
    private let incoming: ByteRing
    private let outgoing: ByteRing
    /// Per live sequence: whether it asked for logprobs, and its stop tokens.
    private var sequences: [UInt64: (logprobs: Bool, stopTokens: Set<Int32>)] = [:]

    /// A loop on the worker side of `segment`, judging the gateway dead after `stalenessBound` without a beat.
    public init(
        segment: SharedSegment, engine: Engine, modelName: String, maxBatchTokens: Int,
        stalenessBound: Duration = .seconds(5)
    ) {
        self.engine = engine
        self.modelName = modelName
        self.maxBatchTokens = maxBatchTokens
        monitor = PeerMonitor(segment: segment, stalenessBound: stalenessBound)
        incoming = ByteRing.incoming(monitor)
        outgoing = ByteRing.outgoing(monitor)
    }

    /// The handshake this worker sends first.
    public var hello: Hello {
        Hello(
            processID: getpid(), modelName: modelName,
            architecture: engine.weights.hyperparameters.architecture.rawValue,
            vocabularySize: UInt32(clamping: engine.weights.vocabularySize),
            contextLength: UInt32(clamping: engine.contextLength),
            kvBlockSize: UInt32(clamping: engine.kvCache.blockSize),
            kvBlocksTotal: UInt32(clamping: engine.kvCache.blockCount), maxBatchTokens: UInt32(clamping: maxBatchTokens)
        )
    }

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
                let result = handle(step)
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

    /// Runs one step on the engine. An engine error never escapes: a sequence the engine refuses is
    /// released and reported in `errors`, and the step is retried without it; an error that names no
    /// sequence fails every sequence of the step.
    public func handle(_ step: Step) -> StepResult {
        for id in step.release { sequences.removeValue(forKey: id) }
        for admission in step.admit {
            if let sampling = admission.sampling {
                sequences[admission.sequenceID] = (sampling.logprobs, Set(sampling.stopTokens))
            } else if sequences[admission.sequenceID] == nil, admission.firstPosition == 0 {
                sequences[admission.sequenceID] = (false, [])
            }
        }
        var batch = step.engineBatch
        var errors: [SequenceError] = []
        while true {
            do {
                let output = try engine.step(batch)
                var result = StepResult(
                    stepID: step.stepID, output: output, kvBlocksFree: engine.kvCache.freeBlocks,
                    wantsLogprob: { [sequences] in sequences[$0]?.logprobs ?? false },
                    stopTokens: { [sequences] in sequences[$0]?.stopTokens ?? [] })
                result.errors = errors
                return result
            } catch {
                batch.releases = []
                let running = batch.admits.map(\.sequence) + batch.decodes
                let failed: [UInt64]
                if let id = error.sequence, running.contains(id) {
                    failed = [id]
                } else {
                    failed = running
                }
                for id in failed {
                    errors.append(SequenceError(sequenceID: id, engineError: error))
                    engine.release(id)
                    sequences.removeValue(forKey: id)
                }
                batch.admits.removeAll { failed.contains($0.sequence) }
                batch.decodes.removeAll { failed.contains($0) }
                if batch.admits.isEmpty && batch.decodes.isEmpty {
                    return StepResult(
                        stepID: step.stepID, errors: errors,
                        kvBlocksFree: UInt32(clamping: engine.kvCache.freeBlocks))
                }
            }
        }
    }
}
