/// A prompt chunk's look-up in the worker's prefix cache: how many of its leading tokens came from cached KV
/// blocks instead of being computed (0 on a miss).
public struct PrefixHit: Sendable, Hashable {
    /// The sequence.
    public var sequenceID: UInt64
    /// Position of the chunk's first token.
    public var position: UInt32
    /// Leading tokens of the chunk reused (a multiple of the KV block size).
    public var cachedTokens: UInt32

    /// Creates a hit.
    public init(sequenceID: UInt64, position: UInt32, cachedTokens: UInt32) {
        self.sequenceID = sequenceID
        self.position = position
        self.cachedTokens = cachedTokens
    }

    /// Bytes it takes: id, position, tokens.
    static let size = 8 + 4 + 4

    func encode(into writer: inout WireWriter) {
        writer.write(sequenceID)
        writer.write(position)
        writer.write(cachedTokens)
    }

    init(reading reader: inout WireReader) throws(ProtocolError) {
        sequenceID = try reader.read(UInt64.self)
        position = try reader.read(UInt32.self)
        cachedTokens = try reader.read(UInt32.self)
    }
}
