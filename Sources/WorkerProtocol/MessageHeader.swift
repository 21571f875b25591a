/// The fixed 16-byte header in front of every message, all fields little-endian:
///
/// ```
///  0 magic "BGWP" (4)   4 protocol version (2)   6 kind (1)   7 flags, zero (1)
///  8 body length (4)   12 reserved, zero (4)   16 body
/// ```
public struct MessageHeader: Sendable, Hashable {
    /// "BGWP" read as a little-endian 32-bit word.
    public static let magic: UInt32 = 0x5057_4742
    /// The protocol version this build writes and accepts (2: sampling parameters end with an output constraint,
    /// and `StepResult` reports the prefix cache).
    public static let currentVersion: UInt16 = 2
    /// Bytes in the header.
    public static let size = 16

    /// The protocol version.
    public var version: UInt16
    /// What the body holds.
    public var kind: MessageKind
    /// Bytes after the header.
    public var bodyLength: UInt32

    /// Creates a header.
    public init(version: UInt16 = MessageHeader.currentVersion, kind: MessageKind, bodyLength: UInt32) {
        self.version = version
        self.kind = kind
        self.bodyLength = bodyLength
    }

    /// Reads and checks the header at the start of `bytes`: magic, version, kind, reserved bits, and
    /// that the body length is exactly the bytes that follow (more is `trailingBytes`, fewer
    /// `lengthMismatch`).
    public init(validating bytes: UnsafeRawBufferPointer) throws(ProtocolError) {
        var reader = WireReader(bytes)
        guard bytes.count >= Self.size else {
            throw ProtocolError(.truncated, "\(bytes.count) bytes, shorter than the \(Self.size)-byte header")
        }
        let magic = try reader.read(UInt32.self)
        guard magic == Self.magic else { throw ProtocolError(.badMagic, "magic 0x\(String(magic, radix: 16))") }
        version = try reader.read(UInt16.self)
        guard version == Self.currentVersion else {
            throw ProtocolError(.unsupportedVersion, "protocol version \(version), expected \(Self.currentVersion)")
        }
        let rawKind = try reader.read(UInt8.self)
        guard let kind = MessageKind(rawValue: rawKind) else {
            throw ProtocolError(.unknownKind, "message kind \(rawKind)")
        }
        self.kind = kind
        let flags = try reader.read(UInt8.self)
        bodyLength = try reader.read(UInt32.self)
        let reserved = try reader.read(UInt32.self)
        guard flags == 0, reserved == 0 else { throw ProtocolError(.invalidValue, "reserved header bits are set") }
        let actual = bytes.count - Self.size
        if actual > Int(bodyLength) {
            throw ProtocolError(.trailingBytes, "\(actual - Int(bodyLength)) bytes after a \(bodyLength)-byte body")
        }
        guard actual == Int(bodyLength) else {
            throw ProtocolError(.lengthMismatch, "header says \(bodyLength) body bytes, \(actual) follow")
        }
    }

    /// Appends the header's 16 bytes.
    public func encode(into buffer: inout [UInt8]) {
        buffer.appendLittleEndian(Self.magic)
        buffer.appendLittleEndian(version)
        buffer.appendLittleEndian(kind.rawValue)
        buffer.appendLittleEndian(UInt8(0))
        buffer.appendLittleEndian(bodyLength)
        buffer.appendLittleEndian(UInt32(0))
    }
}

/// The message kinds; the raw value is the header's kind byte.
public enum MessageKind: UInt8, Sendable, CaseIterable {
    /// `Hello`, worker → gateway, once.
    case hello = 1
    /// `Step`, gateway → worker.
    case step = 2
    /// `StepResult`, worker → gateway.
    case stepResult = 3
    /// `StageHello`, a later pipeline stage → the first stage, once a link is open.
    case stageHello = 4
    /// `StageForward`, the first stage → a later stage: one pass's rows.
    case stageForward = 5
    /// `StageReturn`, a later stage → the first stage: the rows after its blocks, or why it failed.
    case stageReturn = 6
}
