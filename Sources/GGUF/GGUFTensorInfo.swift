/// Where one tensor lives in a GGUF file and what shape and type it has.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name, such as `blk.0.attn_q.weight` (under 64 bytes).
    public let name: String
    /// Dimensions, innermost first, as ggml orders them (`shape[0]` is the row length).
    public let shape: [Int]
    /// The element type.
    public let type: GGMLType
    /// Offset of the first byte, relative to the start of the data section.
    public let offset: Int
    /// Number of bytes the tensor takes.
    public let byteCount: Int

    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }
}
