import InferenceCore
import WorkerProtocol

/// The protocol's `SamplingParameters`, spelled out so the engine's type of the same name stays distinct.
public typealias WireSampling = WorkerProtocol.SamplingParameters

extension WorkerProtocol.SamplingParameters {
    /// The engine's parameters for these wire parameters (`logprobs` is answered from every sampled token,
    /// so it has no engine counterpart).
    public var engineParameters: InferenceCore.SamplingParameters {
        var parameters = InferenceCore.SamplingParameters()
        parameters.temperature = temperature
        parameters.topK = Int(topK)
        parameters.topP = topP
        parameters.minP = minP
        parameters.seed = seed
        parameters.repetitionPenalty = repetitionPenalty
        parameters.presencePenalty = presencePenalty
        parameters.frequencyPenalty = frequencyPenalty
        var bias: [Int32: Float] = [:]
        for entry in logitBias { bias[entry.token, default: 0] += entry.bias }
        parameters.logitBias = bias
        parameters.topLogprobs = Int(topLogprobs)
        parameters.maxTokens = Int(maxTokens)
        parameters.stopTokens = Set(stopTokens)
        parameters.ignoreEOS = ignoreEOS
        parameters.constraint = constraint?.engineConstraint
        return parameters
    }
}

extension OutputConstraintParameters {
    /// The engine's constraint for this wire constraint.
    public var engineConstraint: OutputConstraint {
        switch kind {
        case .jsonObject: OutputConstraint(.jsonObject, generatedPrefix: Int(generatedPrefix))
        case .jsonSchema(let text): OutputConstraint(.jsonSchema(text), generatedPrefix: Int(generatedPrefix))
        }
    }
}

extension Step {
    /// The engine batch for this step: releases, prompt chunks (with engine sampling), decodes.
    public var engineBatch: StepBatch {
        StepBatch(
            admits: admit.map { admission in
                StepBatch.Admit(
                    sequence: admission.sequenceID, position: Int(admission.firstPosition), tokens: admission.tokens,
                    isLastChunk: admission.isLastChunk, sampling: admission.sampling?.engineParameters)
            },
            decodes: decode, releases: release)
    }

    /// The sequences this step asks to produce or prefill, in batch order (admissions, then decodes).
    public var runningSequences: [UInt64] {
        admit.map(\.sequenceID) + decode
    }
}

extension WorkerProtocol.FinishReason {
    /// The wire reason for an engine finish reason: `stop` becomes `endOfSequence` (or `stopToken` when the
    /// token is one of the sequence's stop tokens), `length` becomes `maxTokens`.
    public init(_ reason: InferenceCore.FinishReason, token: Int32, stopTokens: Set<Int32>) {
        switch reason {
        case .stop: self = stopTokens.contains(token) ? .stopToken : .endOfSequence
        case .length: self = .maxTokens
        }
    }
}

extension SequenceError.Code {
    /// The wire code for an engine error code.
    public init(_ code: EngineError.Code) {
        switch code {
        case .tokenOutOfRange: self = .invalidToken
        case .contextExceeded: self = .contextOverflow
        case .unknownSequence: self = .unknownSequence
        case .kvCacheFull: self = .outOfKVBlocks
        case .unsupportedArchitecture, .invalidModel, .positionMismatch, .invalidBatch, .nonFiniteLogits,
            .invalidSampling, .stageFailed:
            self = .internalError
        }
    }
}

extension StepResult {
    /// The result for `step` from the engine's `output`. `wantsLogprob` says which sequences asked for
    /// logprobs (others get 0), `stopTokens` which tokens count as their stop tokens; `kvBlocksFree` is
    /// the cache's free block count after the step.
    public init(
        stepID: UInt64, output: StepOutput, kvBlocksFree: Int, wantsLogprob: (UInt64) -> Bool = { _ in true },
        stopTokens: (UInt64) -> Set<Int32> = { _ in [] }
    ) {
        let tokens = output.results.map { result in
            let logprob = wantsLogprob(result.sequence)
            return WorkerProtocol.SampledToken(
                sequenceID: result.sequence, token: result.token.token, logprob: logprob ? result.token.logprob : 0,
                topLogprobs: result.token.topLogprobs.map {
                    WorkerProtocol.TokenLogprob(token: $0.token, logprob: $0.logprob)
                },
                kvBlocksHeld: UInt32(clamping: result.kvBlocks),
                finish: result.finishReason.map {
                    WorkerProtocol.FinishReason($0, token: result.token.token, stopTokens: stopTokens(result.sequence))
                })
        }
        let nanoseconds = max(0, output.forwardSeconds * 1e9)
        self.init(
            stepID: stepID, tokens: tokens, errors: [],
            forwardNanoseconds: nanoseconds.isFinite ? UInt64(min(nanoseconds, 1.8e19)) : 0,
            kvBlocksFree: UInt32(clamping: kvBlocksFree))
    }
}

extension SequenceError {
    /// The wire error for sequence `id` that the engine refused with `error`.
    public init(sequenceID id: UInt64, engineError error: EngineError) {
        self.init(sequenceID: id, code: Code(error.code), message: "\(error.code.rawValue): \(error.detail)")
    }
}
