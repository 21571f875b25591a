import GGUF

/// A weight matrix as stored in the model file: `rows` rows of `columns` elements of `type`, row after row,
/// read in place from the memory-mapped file (never copied or widened to F32).
///
/// `@unchecked Sendable`: the bytes are a read-only mapping that the owning `ModelWeights` keeps alive for as long
/// as any `WeightMatrix` made from it is used; nothing ever writes through `base`.
public struct WeightMatrix: @unchecked Sendable {
    /// The stored element type.
    public let type: GGMLType
    /// Number of rows (output features).
    public let rows: Int
    /// Elements per row (input features).
    public let columns: Int
    /// Bytes per stored row.
    public let rowBytes: Int
    /// The first byte of row 0.
    public let base: UnsafeRawPointer

    /// Wraps `rows` × `columns` elements of `type` stored at `base`.
    public init(type: GGMLType, rows: Int, columns: Int, base: UnsafeRawPointer) {
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = type.byteCount(elements: columns) ?? 0
        self.base = base
    }

    /// The bytes of row `row`.
    @inline(__always)
    public func row(_ row: Int) -> UnsafeRawPointer { base + row * rowBytes }

    /// Decodes row `row` into `output` (exactly `columns` floats), as ggml's `get_rows` does.
    public func dequantizeRow(_ row: Int, into output: UnsafeMutableBufferPointer<Float>) {
        let bytes = UnsafeRawBufferPointer(start: self.row(row), count: rowBytes)
        // The type and sizes were checked when the model was loaded, so this cannot fail.
        try? type.dequantize(bytes, into: output)
    }

    /// The weight types the kernels multiply.
    public static let supportedTypes: Set<GGMLType> = [
        .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_nl, .iq4_xs,
    ]
}
