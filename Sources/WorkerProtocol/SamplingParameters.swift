/// How a sequence picks its tokens; sent with the first prompt chunk of a sequence.
public struct SamplingParameters: Sendable, Equatable {
    /// The most top-N alternatives a sequence may ask for.
    public static let maxTopLogprobs: UInt8 = 20

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
    public var logitBias: [LogitBias]
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
    public var constraint: OutputConstraintParameters?

    /// Creates parameters; the defaults sample greedily for up to 16 tokens.
    public init(
        temperature: Float = 0, topK: UInt32 = 0, topP: Float = 1, minP: Float = 0, seed: UInt64 = 0,
        repetitionPenalty: Float = 1, presencePenalty: Float = 0, frequencyPenalty: Float = 0,
        logitBias: [LogitBias] = [], logprobs: Bool = false, topLogprobs: UInt8 = 0, maxTokens: UInt32 = 16,
        ignoreEOS: Bool = false, stopTokens: [Int32] = [], constraint: OutputConstraintParameters? = nil
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

    /// Bytes the fixed part takes (the minimum size of an encoding), the constraint's kind byte included.
    static let fixedSize = 4 + 4 + 4 + 4 + 8 + 4 + 4 + 4 + 1 + 1 + 4 + 1 + 4 + 4 + 1

    /// Bytes parameters with `logitBiases` biases and `stopTokens` stop tokens and no constraint take on the wire:
    /// the fixed part, 8 per logit bias and 4 per stop token.
    public static func encodedSize(logitBiases: Int, stopTokens: Int) -> Int {
        fixedSize + 8 * logitBiases + 4 * stopTokens
    }

    /// Bytes these parameters take on the wire (a constraint adds its prefix count and its schema's text).
    public var encodedSize: Int {
        Self.encodedSize(logitBiases: logitBias.count, stopTokens: stopTokens.count) + (constraint?.encodedSize ?? 0)
    }

    func encode(into writer: inout WireWriter) {
        writer.write(temperature)
        writer.write(topK)
        writer.write(topP)
        writer.write(minP)
        writer.write(seed)
        writer.write(repetitionPenalty)
        writer.write(presencePenalty)
        writer.write(frequencyPenalty)
        writer.write(logprobs)
        writer.write(topLogprobs)
        writer.write(maxTokens)
        writer.write(ignoreEOS)
        writer.writeCount(logitBias.count)
        for bias in logitBias {
            writer.write(bias.token)
            writer.write(bias.bias)
        }
        writer.write(stopTokens)
        OutputConstraintParameters.encode(constraint, into: &writer)
    }

    init(reading reader: inout WireReader) throws(ProtocolError) {
        temperature = try reader.readFloat("temperature")
        topK = try reader.read(UInt32.self)
        topP = try reader.readFloat("top_p")
        minP = try reader.readFloat("min_p")
        seed = try reader.read(UInt64.self)
        repetitionPenalty = try reader.readFloat("repetition penalty")
        presencePenalty = try reader.readFloat("presence penalty")
        frequencyPenalty = try reader.readFloat("frequency penalty")
        logprobs = try reader.readBool("logprobs")
        topLogprobs = try reader.read(UInt8.self)
        guard topLogprobs <= Self.maxTopLogprobs else {
            throw ProtocolError(.invalidValue, "top logprobs \(topLogprobs) is over \(Self.maxTopLogprobs)")
        }
        maxTokens = try reader.read(UInt32.self)
        ignoreEOS = try reader.readBool("ignore EOS")
        logitBias = try reader.readList("logit bias", minimumElementSize: 8) { (reader) throws(ProtocolError) in
            let token = try reader.read(Int32.self)
            guard token >= 0 else { throw ProtocolError(.invalidValue, "logit bias for negative token \(token)") }
            return LogitBias(token: token, bias: try reader.readFloat("logit bias"))
        }
        stopTokens = try reader.readTokens("stop tokens")
        constraint = try OutputConstraintParameters.read(&reader)
    }
}

/// A bias added to one token's logit.
public struct LogitBias: Sendable, Hashable {
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
