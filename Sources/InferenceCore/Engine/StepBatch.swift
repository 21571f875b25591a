/// One iteration's work for the engine, as the worker protocol's `Step` carries it.
public struct StepBatch: Sendable {
    /// A chunk of a sequence's prompt: `tokens` at positions `position…position+tokens.count-1`.
    public struct Admit: Sendable {
        /// The sequence.
        public var sequence: SequenceID
        /// Position of the first token; 0 for a new sequence; smaller than the cached length rewinds the sequence.
        public var position: Int
        /// The prompt tokens of this chunk.
        public var tokens: [Int32]
        /// Whether this is the prompt's last chunk (then the sequence samples its first token).
        public var isLastChunk: Bool
        /// Sampling for the sequence; read on its first chunk (nil: greedy, 16 tokens).
        public var sampling: SamplingParameters?

        /// Creates an admit entry.
        public init(
            sequence: SequenceID, position: Int = 0, tokens: [Int32], isLastChunk: Bool = true,
            sampling: SamplingParameters? = nil
        ) {
            self.sequence = sequence
            self.position = position
            self.tokens = tokens
            self.isLastChunk = isLastChunk
            self.sampling = sampling
        }
    }

    /// Prompt chunks to run.
    public var admits: [Admit]
    /// Sequences that feed their last sampled token and produce one more.
    public var decodes: [SequenceID]
    /// Sequences whose KV blocks are freed (before anything else runs).
    public var releases: [SequenceID]
    /// Whether each result carries the full logits of its sequence's last token.
    public var returnLogits: Bool

    /// Creates a step.
    public init(
        admits: [Admit] = [], decodes: [SequenceID] = [], releases: [SequenceID] = [], returnLogits: Bool = false
    ) {
        self.admits = admits
        self.decodes = decodes
        self.releases = releases
        self.returnLogits = returnLogits
    }
}

/// Why a sequence stopped.
public enum FinishReason: String, Sendable {
    /// It produced an end-of-generation or stop token.
    case stop
    /// It reached its token limit.
    case length
}

/// What one step produced.
public struct StepOutput: Sendable {
    /// One sequence's output.
    public struct Result: Sendable {
        /// The sequence.
        public var sequence: SequenceID
        /// The token it sampled, with its log-probability and the top alternatives asked for.
        public var token: SampledToken
        /// The logits of its last token, when the step asked for them.
        public var logits: [Float]?
        /// Set when the sequence is done (it may still be released).
        public var finishReason: FinishReason?
        /// KV blocks the sequence holds.
        public var kvBlocks: Int
    }

    /// Prompt tokens one admitted chunk took from cached blocks instead of computing them.
    public struct PrefixHit: Sendable, Equatable {
        /// The sequence.
        public var sequence: SequenceID
        /// Position of the chunk's first token.
        public var position: Int
        /// Tokens reused (a multiple of the block size; may be 0).
        public var tokens: Int
    }

    /// Results of sequences that produced a token (last prompt chunks and decodes), in batch order.
    public var results: [Result]
    /// Seconds spent in the forward pass.
    public var forwardSeconds: Double
    /// One entry per admitted chunk that looked up the prefix cache, in batch order (empty without prefix caching).
    public var prefixHits: [PrefixHit] = []
}
