/// Gateway → worker, once per iteration: one batched forward pass over prompt chunks and decodes,
/// plus sequences to free.
public struct Step: WireMessage {
    /// The header kind byte.
    public static let kind = MessageKind.step

    /// Increases by one per step; the `StepResult` echoes it.
    public var stepID: UInt64
    /// Prompt chunks to prefill.
    public var admit: [Admission]
    /// Sequences that produce one more token from their last sampled token.
    public var decode: [UInt64]
    /// Sequences whose KV blocks are freed (before this step runs).
    public var release: [UInt64]

    /// Creates a step.
    public init(stepID: UInt64, admit: [Admission] = [], decode: [UInt64] = [], release: [UInt64] = []) {
        self.stepID = stepID
        self.admit = admit
        self.decode = decode
        self.release = release
    }

    /// Layout: step id u64, admissions (count, each `Admission`), decode ids, release ids.
    public func encodeBody(into writer: inout WireWriter) {
        writer.write(stepID)
        writer.writeCount(admit.count)
        for admission in admit { admission.encode(into: &writer) }
        writer.write(decode)
        writer.write(release)
    }

    /// Reads the body `encodeBody(into:)` writes.
    public init(body reader: inout WireReader) throws(ProtocolError) {
        stepID = try reader.read(UInt64.self)
        admit = try reader.readList("admit", minimumElementSize: Admission.fixedSize) {
            (reader) throws(ProtocolError) in try Admission(reading: &reader)
        }
        decode = try reader.readArray(UInt64.self, "decode")
        release = try reader.readArray(UInt64.self, "release")
    }

    /// Bytes a step with no admissions takes on the wire, header included, with `decodes` decode and `releases`
    /// release ids; each admission adds its `encodedSize`. The scheduler plans steps that fit a worker's ring
    /// with it.
    public static func encodedSize(decodes: Int, releases: Int) -> Int {
        MessageHeader.size + 8 + 4 + (4 + 8 * decodes) + (4 + 8 * releases)
    }

    /// Bytes `encoded()` produces.
    public var encodedSize: Int {
        admit.reduce(Self.encodedSize(decodes: decode.count, releases: release.count)) { $0 + $1.encodedSize }
    }
}

/// One prompt chunk of a sequence to prefill in a `Step`.
public struct Admission: Sendable, Equatable {
    /// The sequence.
    public var sequenceID: UInt64
    /// Position of the chunk's first token in the sequence.
    public var firstPosition: UInt32
    /// The chunk's prompt tokens.
    public var tokens: [Int32]
    /// Whether this is the prompt's last chunk (the worker samples a token after it).
    public var isLastChunk: Bool
    /// Sampling parameters; present on the sequence's first chunk only.
    public var sampling: SamplingParameters?

    /// Creates an admission.
    public init(
        sequenceID: UInt64, firstPosition: UInt32, tokens: [Int32], isLastChunk: Bool,
        sampling: SamplingParameters? = nil
    ) {
        self.sequenceID = sequenceID
        self.firstPosition = firstPosition
        self.tokens = tokens
        self.isLastChunk = isLastChunk
        self.sampling = sampling
    }

    /// Bytes the fixed part takes: id, position, two flags, token count.
    static let fixedSize = 8 + 4 + 1 + 1 + 4

    /// Bytes an admission of `tokens` prompt tokens takes inside a step, with `sampling` on a first chunk.
    public static func encodedSize(tokens: Int, sampling: SamplingParameters?) -> Int {
        fixedSize + 4 * tokens + (sampling?.encodedSize ?? 0)
    }

    /// Bytes this admission takes inside a step.
    public var encodedSize: Int { Self.encodedSize(tokens: tokens.count, sampling: sampling) }

    func encode(into writer: inout WireWriter) {
        writer.write(sequenceID)
        writer.write(firstPosition)
        writer.write(isLastChunk)
        writer.write(sampling != nil)
        writer.write(tokens)
        sampling?.encode(into: &writer)
    }

    init(reading reader: inout WireReader) throws(ProtocolError) {
        sequenceID = try reader.read(UInt64.self)
        firstPosition = try reader.read(UInt32.self)
        isLastChunk = try reader.readBool("last chunk")
        let hasSampling = try reader.readBool("has sampling")
        tokens = try reader.readTokens("prompt tokens")
        sampling = hasSampling ? try SamplingParameters(reading: &reader) : nil
    }
}
