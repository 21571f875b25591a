/// Every token's rendered bytes (llama.cpp's piece cache) in one buffer with an end offset per token: an array per
/// token would cost a heap block each, about 10 MB for Qwen2's 151,936 tokens.
struct PieceTable: Sendable {
    private let bytes: [UInt8]
    /// `ends[i]` is where piece `i` ends in `bytes`; it starts where piece `i - 1` ends.
    private let ends: [Int32]

    /// Stores `pieces` in order.
    init(_ pieces: some Sequence<[UInt8]>) {
        var bytes: [UInt8] = []
        var ends: [Int32] = []
        for piece in pieces {
            bytes.append(contentsOf: piece)
            ends.append(Int32(bytes.count))
        }
        self.bytes = bytes
        self.ends = ends
    }

    /// Number of pieces.
    var count: Int { ends.count }

    /// The bytes of piece `index` (which must be in `0..<count`).
    subscript(index: Int) -> ArraySlice<UInt8> {
        bytes[(index == 0 ? 0 : Int(ends[index - 1]))..<Int(ends[index])]
    }
}
