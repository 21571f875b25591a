/// How one request picks its tokens, fixed when its sequence is admitted.
public struct SamplingParameters: Sendable, Equatable {
    /// Softmax temperature; 0 (or less) is greedy.
    public var temperature: Float = 0
    /// Keep only the `topK` most likely tokens (0: all).
    public var topK: Int = 0
    /// Keep the smallest set of most likely tokens whose probability reaches `topP` (1: all).
    public var topP: Float = 1
    /// Drop tokens less likely than `minP` times the most likely one (0: none).
    public var minP: Float = 0
    /// Seed of the sequence's own random stream, so other sequences in the batch never change its draws.
    public var seed: UInt64 = 0
    /// Divides positive (multiplies negative) logits of tokens seen in the last `penaltyWindow` tokens (1: off).
    public var repetitionPenalty: Float = 1
    /// Subtracted once from the logit of every token seen in the window.
    public var presencePenalty: Float = 0
    /// Subtracted from a token's logit once per time it was seen in the window.
    public var frequencyPenalty: Float = 0
    /// How many of the latest tokens (prompt and generated) the penalties look at.
    public var penaltyWindow: Int = 64
    /// Added to the logits of the given tokens (`-.infinity` bans a token).
    public var logitBias: [Int32: Float] = [:]
    /// Number of most likely alternatives to report with each token (0: none).
    public var topLogprobs: Int = 0
    /// Most tokens to generate.
    public var maxTokens: Int = 16
    /// Extra tokens that end the sequence, besides the model's end-of-generation tokens.
    public var stopTokens: Set<Int32> = []
    /// Never stop at (and never sample) the end-of-generation tokens, for benchmarks.
    public var ignoreEOS = false
    /// Structured output: the generated text must follow this grammar (nil: free text).
    public var constraint: OutputConstraint?

    /// Greedy decoding of up to 16 tokens.
    public init() {}

    /// Throws unless every value is in range.
    public func validate() throws(EngineError) {
        func fail(_ s: String) -> EngineError { EngineError(.invalidSampling, s) }
        guard temperature.isFinite, temperature >= 0 else { throw fail("temperature must be ≥ 0") }
        guard topK >= 0 else { throw fail("top-k must be ≥ 0") }
        guard topP > 0, topP <= 1 else { throw fail("top-p must be in (0, 1]") }
        guard minP >= 0, minP <= 1 else { throw fail("min-p must be in [0, 1]") }
        guard repetitionPenalty.isFinite, repetitionPenalty > 0 else { throw fail("repetition penalty must be > 0") }
        guard presencePenalty.isFinite, frequencyPenalty.isFinite else { throw fail("penalties must be finite") }
        guard penaltyWindow >= 0, topLogprobs >= 0, topLogprobs <= 100 else {
            throw fail("penalty window and top logprobs (≤ 100) must be ≥ 0")
        }
        guard maxTokens >= 1 else { throw fail("max tokens must be ≥ 1") }
        guard logitBias.values.allSatisfy({ !$0.isNaN }) else { throw fail("logit bias must not be NaN") }
        guard (constraint?.generatedPrefix ?? 0) >= 0 else { throw fail("the constraint's prefix must be ≥ 0") }
    }
}

/// A token and its log-probability under the model (log-softmax of the raw logits).
public struct TokenLogprob: Sendable, Equatable {
    /// The token id.
    public var token: Int32
    /// Its natural-log probability.
    public var logprob: Float

    /// Creates a pair.
    public init(token: Int32, logprob: Float) {
        self.token = token
        self.logprob = logprob
    }
}

/// A sampled token, its log-probability, and the most likely alternatives when asked for.
public struct SampledToken: Sendable, Equatable {
    /// The token id.
    public var token: Int32
    /// Its log-probability under the model's raw logits.
    public var logprob: Float
    /// The `topLogprobs` most likely tokens, most likely first.
    public var topLogprobs: [TokenLogprob]
}
