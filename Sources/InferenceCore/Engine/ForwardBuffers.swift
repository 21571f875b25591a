/// The activations of one forward pass over `rows` tokens, allocated once per pass.
final class ForwardBuffers {
    let rows: Int
    /// Residual stream, normalised input, projection output (rows × dim).
    let x, normed, projected: UnsafeMutablePointer<Float>
    /// Queries and attention outputs (rows × query dim, which is dim unless the heads are not dim/heads wide).
    let query, attention: UnsafeMutablePointer<Float>
    /// Keys and values (rows × kv dim).
    let key, value: UnsafeMutablePointer<Float>
    /// Gate and up projections (rows × ff).
    let gate, up: UnsafeMutablePointer<Float>
    private let all: [UnsafeMutablePointer<Float>]

    init(rows: Int, hyperparameters h: ModelHyperparameters) {
        self.rows = rows
        func make(_ width: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, rows * width))
            p.initialize(repeating: 0, count: max(1, rows * width))
            return p
        }
        x = make(h.embeddingLength)
        normed = make(h.embeddingLength)
        query = make(h.queryDimension)
        attention = make(h.queryDimension)
        projected = make(h.embeddingLength)
        key = make(h.kvDimension)
        value = make(h.kvDimension)
        gate = make(h.feedForwardLength)
        up = make(h.feedForwardLength)
        all = [x, normed, query, attention, projected, key, value, gate, up]
    }

    deinit { for p in all { p.deallocate() } }
}

/// One token of a forward pass: its sequence's block table, its position, and whether its sequence runs more
/// than one token in the pass (llama.cpp's attention products then take llamafile's tiles).
struct ForwardRow {
    /// The row's sequence (passed on to later pipeline stages).
    var sequence: SequenceID = 0
    let table: [Int]
    let position: Int
    let token: Int32
    let batched: Bool
}
