/// The leading activation rows of a batch that belong to prompt chunks long enough for llama.cpp to multiply them
/// with other kernels than `vec_dot`, whose order differs: chunks of at least `llamafileMinimum` tokens go through
/// its llamafile kernels (IQ4_NL weights here; the other types' llamafile order equals `vec_dot`'s), of at least
/// `tiledMinimum` through its tiled kernels (Q2_K…Q6_K, IQ4_XS; `tiled_order.h`). The engine puts such chunks'
/// rows first, longest chunks first, so that both sets are prefixes.
public struct PromptRows: Sendable, Equatable {
    /// The fewest tokens of a chunk that llama.cpp's llamafile kernels take.
    public static let llamafileMinimum = 2
    /// The fewest tokens of a chunk that llama.cpp's tiled kernels take.
    public static let tiledMinimum = 8
    /// No row of either kind (decode steps, single-token chunks).
    public static let none = PromptRows(llamafile: 0, tiled: 0)

    /// Leading rows from chunks of at least `llamafileMinimum` tokens.
    public var llamafile: Int
    /// Leading rows from chunks of at least `tiledMinimum` tokens (at most `llamafile`).
    public var tiled: Int

    /// Rows counted as above.
    public init(llamafile: Int, tiled: Int) {
        precondition(0 <= tiled && tiled <= llamafile, "the tiled rows are a prefix of the llamafile rows")
        self.llamafile = llamafile
        self.tiled = tiled
    }

    /// The counts for rows whose chunks have `lengths` tokens, longest first (non-increasing).
    public init(chunkLengths lengths: [Int]) {
        self.init(
            llamafile: lengths.prefix { $0 >= Self.llamafileMinimum }.count,
            tiled: lengths.prefix { $0 >= Self.tiledMinimum }.count)
    }
}
