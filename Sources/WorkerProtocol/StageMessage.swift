/// Any message of a pipeline link, for a reader that does not know which kind comes next. Stage messages share
/// the worker protocol's header and codec; the worker link refuses them and this refuses worker messages.
public enum StageMessage: Sendable, Equatable {
    /// Later stage → first stage, once.
    case hello(StageHello)
    /// First stage → later stage, a pass or a heartbeat.
    case forward(StageForward)
    /// Later stage → first stage, the answer to a pass.
    case answer(StageReturn)

    /// The header kind of the message.
    public var kind: MessageKind {
        switch self {
        case .hello: .stageHello
        case .forward: .stageForward
        case .answer: .stageReturn
        }
    }

    /// Appends the header and the body to `buffer`.
    public func encode(into buffer: inout [UInt8]) {
        switch self {
        case .hello(let message): message.encode(into: &buffer)
        case .forward(let message): message.encode(into: &buffer)
        case .answer(let message): message.encode(into: &buffer)
        }
    }

    /// Decodes one whole message of whichever stage kind the header says; throws `ProtocolError` for anything that
    /// is not exactly one valid stage message.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(ProtocolError) -> StageMessage {
        let header = try MessageHeader(validating: bytes)
        switch header.kind {
        case .stageHello: return .hello(try StageHello(decoding: bytes))
        case .stageForward: return .forward(try StageForward(decoding: bytes))
        case .stageReturn: return .answer(try StageReturn(decoding: bytes))
        case .hello, .step, .stepResult:
            throw ProtocolError(.unexpectedKind, "\(header.kind) is a worker message, not a pipeline-stage message")
        }
    }

    /// Decodes one whole message from an array; see `decode(_:)`.
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> StageMessage {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ProtocolError) -> StageMessage in try decode(raw) }
        }
        return try result.get()
    }
}
