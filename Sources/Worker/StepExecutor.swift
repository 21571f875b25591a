import Glibc
import InferenceCore
import WorkerProtocol

/// Runs `Step`s on an `Engine` and answers them with `StepResult`s: the worker process's core, also used in
/// process by tests that put a real engine behind the scheduler.
///
/// Not `Sendable`: it owns the engine; callers run it on one thread at a time.
public final class StepExecutor {
    /// The engine every step runs on.
    public let engine: Engine
    /// Per live sequence: whether it asked for logprobs, and its stop tokens.
    private var sequences: [UInt64: (logprobs: Bool, stopTokens: Set<Int32>)] = [:]

    /// An executor on `engine`.
    public init(engine: Engine) {
        self.engine = engine
    }

    /// The handshake for this engine, naming the model `modelName` and a step limit of `maxBatchTokens`.
    public func hello(modelName: String, maxBatchTokens: Int) -> Hello {
        Hello(
            processID: getpid(), modelName: modelName,
            architecture: engine.weights.hyperparameters.architecture.rawValue,
            vocabularySize: UInt32(clamping: engine.weights.vocabularySize),
            contextLength: UInt32(clamping: engine.contextLength),
            kvBlockSize: UInt32(clamping: engine.kvCache.blockSize),
            kvBlocksTotal: UInt32(clamping: engine.kvCache.blockCount), maxBatchTokens: UInt32(clamping: maxBatchTokens)
        )
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
        let evictionsBefore = engine.kvCache.statistics.evictions
        while true {
            do {
                let output = try engine.step(batch)
                var result = StepResult(
                    stepID: step.stepID, output: output, kvBlocksFree: engine.kvCache.freeBlocks,
                    wantsLogprob: { [sequences] in sequences[$0]?.logprobs ?? false },
                    stopTokens: { [sequences] in sequences[$0]?.stopTokens ?? [] })
                result.errors = errors
                result.prefixHits = output.prefixHits.map {
                    PrefixHit(
                        sequenceID: $0.sequence, position: UInt32(clamping: $0.position),
                        cachedTokens: UInt32(clamping: $0.tokens))
                }
                result.kvBlocksCached = UInt32(clamping: engine.kvCache.cachedBlocks)
                result.kvEvictions = UInt32(clamping: engine.kvCache.statistics.evictions - evictionsBefore)
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
                        kvBlocksFree: UInt32(clamping: engine.kvCache.freeBlocks),
                        kvBlocksCached: UInt32(clamping: engine.kvCache.cachedBlocks),
                        kvEvictions: UInt32(clamping: engine.kvCache.statistics.evictions - evictionsBefore))
                }
            }
        }
    }
}
