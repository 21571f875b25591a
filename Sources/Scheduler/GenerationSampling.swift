/// How a generation picks its tokens, as the gateway asks for it: the scheduler's own type, mapped to the worker
/// protocol's `SamplingParameters` when a step is built (`GenerationSampling+Wire.swift`), so that callers of the
/// scheduler never see the wire.
public struct GenerationSampling: Sendable, Equatable {
    /// The most top-N alternatives a sequence may ask for.
    public static let maxTopLogprobs = 20

    /// Softmax temperature; 0 is greedy.
    public var temperature: Float
    /// Keep only the k most likely tokens; 0 keeps all.
    public var topK: UInt32
    /// Nucleus sampling: keep the smallest set whose probability reaches this; 1 keeps all.
    public var topP: Float
    /// Drop tokens less likely than this fraction of the most likely one; 0 keeps all.
    public var minP: Float
    /// The random seed.
    public var seed: UInt64
    /// Multiplicative penalty for tokens already seen; 1 is none.
    public var repetitionPenalty: Float
    /// Additive penalty for tokens already seen at least once; 0 is none.
    public var presencePenalty: Float
    /// Additive penalty per earlier occurrence; 0 is none.
    public var frequencyPenalty: Float
    /// Added to the logits of the given tokens.
    public var logitBias: [TokenBias]
    /// Whether each sampled token's logprob is returned.
    public var logprobs: Bool
    /// How many most likely alternatives to return with each token (at most `maxTopLogprobs`).
    public var topLogprobs: UInt8
    /// The most tokens to generate.
    public var maxTokens: UInt32
    /// Keep generating past the end-of-sequence token.
    public var ignoreEOS: Bool
    /// Tokens that finish the sequence when sampled.
    public var stopTokens: [Int32]
    /// Structured output: the generated text must follow this grammar (nil: free text).
    public var constraint: GenerationConstraint?

    /// Creates parameters; the defaults sample greedily for up to 16 tokens.
    public init(
        temperature: Float = 0, topK: UInt32 = 0, topP: Float = 1, minP: Float = 0, seed: UInt64 = 0,
        repetitionPenalty: Float = 1, presencePenalty: Float = 0, frequencyPenalty: Float = 0,
        logitBias: [TokenBias] = [], logprobs: Bool = false, topLogprobs: UInt8 = 0, maxTokens: UInt32 = 16,
        ignoreEOS: Bool = false, stopTokens: [Int32] = [], constraint: GenerationConstraint? = nil
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.seed = seed
        self.repetitionPenalty = repetitionPenalty
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.logitBias = logitBias
        self.logprobs = logprobs
        self.topLogprobs = topLogprobs
        self.maxTokens = maxTokens
        self.ignoreEOS = ignoreEOS
        self.stopTokens = stopTokens
        self.constraint = constraint
    }
}

/// The grammar a generation's text must follow (structured output).
public enum GenerationConstraint: Sendable, Hashable {
    /// Any JSON object.
    case jsonObject
    /// A value valid under this JSON Schema (its JSON text, already checked by the caller to compile).
    case jsonSchema(String)
}

/// An amount added to one token's logit before sampling.
public struct TokenBias: Sendable, Hashable {
    /// The token id.
    public var token: Int32
    /// The amount added (not NaN; −∞ bans the token).
    public var bias: Float

    /// Creates a bias.
    public init(token: Int32, bias: Float) {
        self.token = token
        self.bias = bias
    }
}
