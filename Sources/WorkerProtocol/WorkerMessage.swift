/// Any message of the worker protocol, for a reader that does not know which kind comes next.
public enum WorkerMessage: Sendable, Equatable {
    /// Worker → gateway handshake.
    case hello(Hello)
    /// Gateway → worker iteration.
    case step(Step)
    /// Worker → gateway answer to a step.
    case stepResult(StepResult)

    /// The header kind of the message.
    public var kind: MessageKind {
        switch self {
        case .hello: .hello
        case .step: .step
        case .stepResult: .stepResult
        }
    }

    /// Appends the header and the body to `buffer`.
    public func encode(into buffer: inout [UInt8]) {
        switch self {
        case .hello(let message): message.encode(into: &buffer)
        case .step(let message): message.encode(into: &buffer)
        case .stepResult(let message): message.encode(into: &buffer)
        }
    }

    /// Decodes one whole message of whichever kind the header says; throws `ProtocolError` for
    /// anything that is not exactly one valid message.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(ProtocolError) -> WorkerMessage {
        let header = try MessageHeader(validating: bytes)
        switch header.kind {
        case .hello: return .hello(try Hello(decoding: bytes))
        case .step: return .step(try Step(decoding: bytes))
        case .stepResult: return .stepResult(try StepResult(decoding: bytes))
        case .stageHello, .stageForward, .stageReturn:
            throw ProtocolError(.unexpectedKind, "\(header.kind) is a pipeline-stage message, not a worker message")
        }
    }

    /// Decodes one whole message from an array; see `decode(_:)`.
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> WorkerMessage {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ProtocolError) -> WorkerMessage in try decode(raw) }
        }
        return try result.get()
    }
}
