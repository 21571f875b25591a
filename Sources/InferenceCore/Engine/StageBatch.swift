/// One forward pass's work for a later pipeline stage: which sequence and position each row is, and the residual
/// stream of every row as the blocks before the stage left it.
///
/// A sequence's rows are consecutive and in position order, as the first stage ran them; the stage derives each
/// chunk's length from them, so its kernels see the same batch shape as an unsplit pass (and give the same bits).
public struct StageBatch: Sendable, Equatable {
    /// One token of the pass.
    public struct Row: Sendable, Equatable {
        /// Its sequence.
        public var sequence: SequenceID
        /// Its position in the sequence.
        public var position: Int
        /// Whether the head runs on this row (the last row of a chunk that samples a token).
        public var isOutput: Bool

        /// Creates a row.
        public init(sequence: SequenceID, position: Int, isOutput: Bool) {
            self.sequence = sequence
            self.position = position
            self.isOutput = isOutput
        }
    }

    /// The rows, in the order the first stage ran them.
    public var rows: [Row]
    /// `rows.count` rows of the model's embedding length: the residual stream entering the stage.
    public var hidden: [Float]
    /// Sequences whose KV blocks the stage frees before it runs the rows.
    public var releases: [SequenceID]

    /// Creates a batch.
    public init(rows: [Row], hidden: [Float], releases: [SequenceID] = []) {
        self.rows = rows
        self.hidden = hidden
        self.releases = releases
    }

    /// The number of rows the head runs on.
    public var outputCount: Int { rows.reduce(0) { $0 + ($1.isOutput ? 1 : 0) } }
}

/// The blocks after the first stage's: whatever runs a `StageBatch` through them (in this process or over TCP).
/// Passes are submitted and collected in order; between the two, the first stage computes the next micro-batch
/// while the later stages run the ones before it.
public protocol LaterStages: AnyObject {
    /// Starts `batch` (the residual stream after the first stage) on its way through the later stages.
    func submit(_ batch: StageBatch) throws(EngineError)
    /// Waits for the oldest submitted batch and returns the residual stream after the model's last block of its
    /// output rows, in row order (`outputCount` rows).
    func collect() throws(EngineError) -> [Float]
}

extension LaterStages {
    /// Runs `batch` through every later stage: `submit`, then `collect`.
    public func run(_ batch: StageBatch) throws(EngineError) -> [Float] {
        try submit(batch)
        return try collect()
    }
}

/// One stage after the first, as the first stage's engine calls it: `Engine.runStage` in this process, or a link
/// to a `batchgate stage` process.
public protocol PipelineStage: AnyObject {
    /// The blocks the stage runs.
    var layerRange: Range<Int> { get }
    /// Runs `batch` through the stage's blocks: every row's residual stream after them, or only the output rows'
    /// when the stage runs the model's last block.
    func runStage(_ batch: StageBatch) throws(EngineError) -> [Float]
}

/// A stage that runs on its own (another process): `send` returns once the batch is on its way, and `receive`
/// waits for the answers in the order the batches were sent.
public protocol OverlappingStage: PipelineStage {
    /// Sends `batch` to the stage.
    func send(_ batch: StageBatch) throws(EngineError)
    /// The answer to the oldest batch sent and not yet received.
    func receive() throws(EngineError) -> [Float]
}

/// Later stages the first stage calls one after the other, passing each one's rows to the next (a hub: every
/// residual stream comes back to the first stage between two stages). A submitted batch goes to the first later
/// stage at once when it runs on its own, so that it computes while the first stage prepares the next micro-batch;
/// while `collect` waits on a stage further on, the stage before it already has the next batch.
public final class StageChain: LaterStages {
    /// The stages, in layer order.
    public let stages: [any PipelineStage]
    /// Batches submitted and not collected, oldest first.
    private var inFlight: [StageBatch] = []

    /// A chain of `stages`, which must cover the blocks from `firstLayer` to `layerCount` in order, without gaps.
    public init(_ stages: [any PipelineStage], firstLayer: Int, layerCount: Int) throws(EngineError) {
        var next = firstLayer
        for stage in stages {
            guard stage.layerRange.lowerBound == next else {
                throw EngineError(
                    .stageFailed,
                    "the pipeline's stages must hold consecutive layers: a stage starts at layer "
                        + "\(stage.layerRange.lowerBound) where layer \(next) was expected")
            }
            next = stage.layerRange.upperBound
        }
        guard next == layerCount, !stages.isEmpty else {
            throw EngineError(
                .stageFailed,
                "the pipeline's stages end at layer \(next - 1), not at the model's last layer \(layerCount - 1)")
        }
        self.stages = stages
    }

    public func submit(_ batch: StageBatch) throws(EngineError) {
        if let first = stages[0] as? any OverlappingStage { try first.send(batch) }
        inFlight.append(batch)
    }

    public func collect() throws(EngineError) -> [Float] {
        guard !inFlight.isEmpty else { throw EngineError(.stageFailed, "nothing was submitted to the later stages") }
        var batch = inFlight.removeFirst()
        for (s, stage) in stages.enumerated() {
            let hidden: [Float]
            if s == 0, let first = stage as? any OverlappingStage {
                hidden = try first.receive()
            } else {
                hidden = try stage.runStage(batch)
            }
            if s == stages.count - 1 { return hidden }
            guard hidden.count == batch.hidden.count else {
                throw EngineError(
                    .stageFailed,
                    "the stage of layers \(stage.layerRange) returned \(hidden.count) floats, expected \(batch.hidden.count)"
                )
            }
            batch.hidden = hidden
        }
        return []
    }
}
