/// A message with a header kind and a body codec. `encode(into:)` and `init(decoding:)` add and
/// check the header; conformers only lay out their body.
public protocol WireMessage: Sendable, Equatable {
    /// The header's kind byte for this message.
    static var kind: MessageKind { get }
    /// Appends the body (no header).
    func encodeBody(into writer: inout WireWriter)
    /// Reads the body (no header), leaving `reader` at its end.
    init(body reader: inout WireReader) throws(ProtocolError)
}

extension WireMessage {
    /// Appends the header and the body to `buffer`.
    public func encode(into buffer: inout [UInt8]) {
        let start = buffer.count
        MessageHeader(kind: Self.kind, bodyLength: 0).encode(into: &buffer)
        var writer = WireWriter()
        swap(&writer.buffer, &buffer)
        encodeBody(into: &writer)
        swap(&writer.buffer, &buffer)
        let bodyLength = buffer.count - start - MessageHeader.size
        precondition(bodyLength <= Int(UInt32.max), "message body of \(bodyLength) bytes does not fit the header")
        withUnsafeBytes(of: UInt32(bodyLength).littleEndian) { length in
            for index in 0..<4 { buffer[start + 8 + index] = length[index] }
        }
    }

    /// The header and body as a fresh array.
    public func encoded() -> [UInt8] {
        var buffer: [UInt8] = []
        encode(into: &buffer)
        return buffer
    }

    /// Decodes one whole message: the header must say `Self.kind`, and no byte may be left over.
    public init(decoding bytes: UnsafeRawBufferPointer) throws(ProtocolError) {
        let header = try MessageHeader(validating: bytes)
        guard header.kind == Self.kind else {
            throw ProtocolError(.unexpectedKind, "expected \(Self.kind), got \(header.kind)")
        }
        var reader = WireReader(UnsafeRawBufferPointer(rebasing: bytes[MessageHeader.size...]))
        try self.init(body: &reader)
        try reader.finish()
    }

    /// Decodes one whole message from an array; see `init(decoding:)` for the raw-buffer form.
    public init(decoding bytes: [UInt8]) throws(ProtocolError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ProtocolError) -> Self in try Self(decoding: raw) }
        }
        self = try result.get()
    }
}
