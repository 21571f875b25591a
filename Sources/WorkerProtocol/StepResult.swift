/// Worker → gateway, once per `Step`: the sampled tokens, the per-sequence errors and the cost.
public struct StepResult: WireMessage {
    /// The header kind byte.
    public static let kind = MessageKind.stepResult

    /// The `Step` this answers.
    public var stepID: UInt64
    /// One entry per sequence that produced a token.
    public var tokens: [SampledToken]
    /// Sequences that failed in this step (they are not in `tokens`).
    public var errors: [SequenceError]
    /// Time spent in the forward pass, in nanoseconds.
    public var forwardNanoseconds: UInt64
    /// KV cache blocks free after the step (idle cached blocks included: any of them can be taken).
    public var kvBlocksFree: UInt32
    /// Of the free blocks, those that hold a cached prefix no sequence uses (protocol version 2).
    public var kvBlocksCached: UInt32 = 0
    /// Cached blocks given up during the step to make room (protocol version 2).
    public var kvEvictions: UInt32 = 0
    /// One entry per prompt chunk that looked up the prefix cache, in step order (protocol version 2).
    public var prefixHits: [PrefixHit] = []

    /// Creates a result.
    public init(
        stepID: UInt64, tokens: [SampledToken] = [], errors: [SequenceError] = [], forwardNanoseconds: UInt64 = 0,
        kvBlocksFree: UInt32 = 0, kvBlocksCached: UInt32 = 0, kvEvictions: UInt32 = 0, prefixHits: [PrefixHit] = []
    ) {
        self.stepID = stepID
        self.tokens = tokens
        self.errors = errors
        self.forwardNanoseconds = forwardNanoseconds
        self.kvBlocksFree = kvBlocksFree
        self.kvBlocksCached = kvBlocksCached
        self.kvEvictions = kvEvictions
        self.prefixHits = prefixHits
    }

    /// Layout: step id u64, forward ns u64, free blocks u32, tokens (count, each), errors (count, each); since
    /// version 2, cached blocks u32, evictions u32, prefix hits (count, each).
    public func encodeBody(into writer: inout WireWriter) {
        writer.write(stepID)
        writer.write(forwardNanoseconds)
        writer.write(kvBlocksFree)
        writer.writeCount(tokens.count)
        for token in tokens { token.encode(into: &writer) }
        writer.writeCount(errors.count)
        for error in errors { error.encode(into: &writer) }
        writer.write(kvBlocksCached)
        writer.write(kvEvictions)
        writer.writeCount(prefixHits.count)
        for hit in prefixHits { hit.encode(into: &writer) }
    }

    /// Reads the body `encodeBody(into:)` writes.
    public init(body reader: inout WireReader) throws(ProtocolError) {
        stepID = try reader.read(UInt64.self)
        forwardNanoseconds = try reader.read(UInt64.self)
        kvBlocksFree = try reader.read(UInt32.self)
        tokens = try reader.readList("tokens", minimumElementSize: SampledToken.fixedSize) {
            (reader) throws(ProtocolError) in try SampledToken(reading: &reader)
        }
        errors = try reader.readList("errors", minimumElementSize: SequenceError.fixedSize) {
            (reader) throws(ProtocolError) in try SequenceError(reading: &reader)
        }
        kvBlocksCached = try reader.read(UInt32.self)
        kvEvictions = try reader.read(UInt32.self)
        prefixHits = try reader.readList("prefix hits", minimumElementSize: PrefixHit.size) {
            (reader) throws(ProtocolError) in try PrefixHit(reading: &reader)
        }
    }
}

/// Why a sequence stopped.
public enum FinishReason: UInt8, Sendable, CaseIterable {
    /// It sampled the end-of-sequence token.
    case endOfSequence = 1
    /// It sampled one of its stop tokens.
    case stopToken = 2
    /// It reached its `maxTokens`.
    case maxTokens = 3
    /// It reached the context length.
    case contextFull = 4
}

/// A token and its log-probability.
public struct TokenLogprob: Sendable, Hashable {
    /// The token id.
    public var token: Int32
    /// Its natural-log probability (≤ 0, may be −∞, never NaN).
    public var logprob: Float

    /// Creates a pair.
    public init(token: Int32, logprob: Float) {
        self.token = token
        self.logprob = logprob
    }
}

/// The token one sequence produced in a step.
public struct SampledToken: Sendable, Equatable {
    /// The sequence.
    public var sequenceID: UInt64
    /// The sampled token.
    public var token: Int32
    /// Its log-probability (0 when not asked for).
    public var logprob: Float
    /// The most likely alternatives, when asked for.
    public var topLogprobs: [TokenLogprob]
    /// KV cache blocks the sequence holds after the step.
    public var kvBlocksHeld: UInt32
    /// Why the sequence finished with this token; `nil` while it goes on.
    public var finish: FinishReason?

    /// Creates a sampled token.
    public init(
        sequenceID: UInt64, token: Int32, logprob: Float = 0, topLogprobs: [TokenLogprob] = [],
        kvBlocksHeld: UInt32, finish: FinishReason? = nil
    ) {
        self.sequenceID = sequenceID
        self.token = token
        self.logprob = logprob
        self.topLogprobs = topLogprobs
        self.kvBlocksHeld = kvBlocksHeld
        self.finish = finish
    }

    /// Bytes the fixed part takes: id, token, logprob, blocks, finish, top-N count.
    static let fixedSize = 8 + 4 + 4 + 4 + 1 + 4

    func encode(into writer: inout WireWriter) {
        writer.write(sequenceID)
        writer.write(token)
        writer.write(logprob)
        writer.write(kvBlocksHeld)
        writer.write(finish?.rawValue ?? 0)
        writer.writeCount(topLogprobs.count)
        for pair in topLogprobs {
            writer.write(pair.token)
            writer.write(pair.logprob)
        }
    }

    init(reading reader: inout WireReader) throws(ProtocolError) {
        sequenceID = try reader.read(UInt64.self)
        token = try reader.read(Int32.self)
        guard token >= 0 else { throw ProtocolError(.invalidValue, "sampled negative token id \(token)") }
        logprob = try reader.readFloat("logprob")
        kvBlocksHeld = try reader.read(UInt32.self)
        let rawFinish = try reader.read(UInt8.self)
        if rawFinish == 0 {
            finish = nil
        } else if let reason = FinishReason(rawValue: rawFinish) {
            finish = reason
        } else {
            throw ProtocolError(.invalidValue, "finish reason \(rawFinish)")
        }
        topLogprobs = try reader.readList("top logprobs", minimumElementSize: 8) { (reader) throws(ProtocolError) in
            let token = try reader.read(Int32.self)
            guard token >= 0 else { throw ProtocolError(.invalidValue, "top logprob for negative token \(token)") }
            return TokenLogprob(token: token, logprob: try reader.readFloat("top logprob"))
        }
    }
}

/// A sequence that failed in a step, with a reason.
public struct SequenceError: Sendable, Hashable {
    /// Why a sequence failed; the raw value is on the wire.
    public enum Code: UInt16, Sendable, CaseIterable {
        /// The step named a sequence the worker does not hold.
        case unknownSequence = 1
        /// An admission's first chunk came for a sequence the worker already holds.
        case duplicateSequence = 2
        /// A token id is outside the vocabulary.
        case invalidToken = 3
        /// The sequence would grow past the context length.
        case contextOverflow = 4
        /// No KV cache blocks were left for it.
        case outOfKVBlocks = 5
        /// Anything else inside the engine.
        case internalError = 6
    }

    /// The sequence.
    public var sequenceID: UInt64
    /// The kind of failure.
    public var code: Code
    /// What went wrong, in words.
    public var message: String

    /// Creates an error entry.
    public init(sequenceID: UInt64, code: Code, message: String) {
        self.sequenceID = sequenceID
        self.code = code
        self.message = message
    }

    /// Bytes the fixed part takes: id, code, message length.
    static let fixedSize = 8 + 2 + 4

    func encode(into writer: inout WireWriter) {
        writer.write(sequenceID)
        writer.write(code.rawValue)
        writer.write(message)
    }

    init(reading reader: inout WireReader) throws(ProtocolError) {
        sequenceID = try reader.read(UInt64.self)
        let rawCode = try reader.read(UInt16.self)
        guard let code = Code(rawValue: rawCode) else {
            throw ProtocolError(.invalidValue, "sequence error code \(rawCode)")
        }
        self.code = code
        message = try reader.readString("error message")
    }
}
