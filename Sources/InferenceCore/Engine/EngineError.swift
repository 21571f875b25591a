/// A request the engine cannot run or a model it cannot load; thrown before anything breaks, never a crash.
public struct EngineError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem it is; each has a stable snake_case label.
    public enum Code: String, Sendable {
        /// The file's `general.architecture` is not one the engine runs.
        case unsupportedArchitecture = "unsupported_architecture"
        /// The file lacks a tensor or key, or one has the wrong shape or type.
        case invalidModel = "invalid_model"
        /// A token id is negative or not below the vocabulary size.
        case tokenOutOfRange = "token_out_of_range"
        /// The tokens would run past the context length.
        case contextExceeded = "context_exceeded"
        /// A chunk does not start where its sequence's cached tokens end.
        case positionMismatch = "position_mismatch"
        /// The sequence is unknown (decode or release of a sequence never admitted).
        case unknownSequence = "unknown_sequence"
        /// The same sequence appears twice in one step, or a decode follows a finished sequence.
        case invalidBatch = "invalid_batch"
        /// The KV cache has fewer free blocks than the step needs.
        case kvCacheFull = "kv_cache_full"
        /// The model produced NaN or infinite logits.
        case nonFiniteLogits = "non_finite_logits"
        /// Sampling parameters out of range.
        case invalidSampling = "invalid_sampling"
        /// A later pipeline stage failed, could not be reached, or answered with something other than its rows.
        case stageFailed = "stage_failed"
    }

    /// The kind of problem.
    public let code: Code
    /// The sequence concerned, when there is one.
    public let sequence: SequenceID?
    /// What is wrong, in words.
    public let detail: String

    /// Creates an error.
    public init(_ code: Code, sequence: SequenceID? = nil, _ detail: String) {
        self.code = code
        self.sequence = sequence
        self.detail = detail
    }

    public var description: String {
        if let sequence { return "sequence \(sequence): \(detail)" }
        return detail
    }
}

/// A sequence's id, chosen by the scheduler.
public typealias SequenceID = UInt64
