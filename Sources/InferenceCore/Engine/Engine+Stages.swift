/// Pipeline stages: a model's blocks split into contiguous ranges, each run by an engine of its own (in another
/// process or on another node), with the residual stream passed between them.
///
/// The first stage is an ordinary `Engine` whose weights hold blocks `0..<k`, with `laterStages` attached: it embeds
/// the tokens, runs its blocks, hands the rows to the later stages, and runs the output norm, the head and the
/// sampling on the output rows they return. So the sequences' sampling state stays where it is without a split, and
/// only hidden states (embedding length floats a row) ever cross a link, never logits. A later stage is an `Engine`
/// over blocks `k..<m` driven through `runStage`: it keeps the KV cache of its own blocks and nothing else.
extension Engine {
    /// Runs the blocks after this engine's in `stages` from now on. The engine must hold the model's first block,
    /// and runs without prefix caching (a cached prefix would be skipped here but missing from the later stages'
    /// caches).
    public func attach(laterStages stages: any LaterStages) throws(EngineError) {
        guard weights.layerRange.lowerBound == 0 else {
            throw EngineError(.stageFailed, "only the stage that holds layer 0 sends rows to later stages")
        }
        guard !kvCache.prefixCaching else {
            throw EngineError(.stageFailed, "a pipeline's first stage must run without prefix caching")
        }
        laterStages = stages
    }

    /// Passes the rows of a forward pass through the later stages and puts the residual stream they return for
    /// the output rows back into `b.x`.
    func runLaterStages(
        _ rows: [ForwardRow], outputRows: [Int], buffers b: ForwardBuffers, releases: [SequenceID]
    ) throws(EngineError) {
        guard let laterStages else { return }
        let dim = weights.hyperparameters.embeddingLength
        let outputs = Set(outputRows)
        let batch = StageBatch(
            rows: rows.enumerated().map { i, row in
                StageBatch.Row(sequence: row.sequence, position: row.position, isOutput: outputs.contains(i))
            },
            hidden: Array(UnsafeBufferPointer(start: b.x, count: rows.count * dim)), releases: releases)
        try laterStages.submit(batch)
        let hidden = try laterStages.collect()
        guard hidden.count == outputRows.count * dim else {
            throw EngineError(
                .stageFailed,
                "the later stages returned \(hidden.count) floats for \(outputRows.count) output rows of \(dim)")
        }
        // Output rows are listed in row order, as the stages return them.
        for (o, i) in outputRows.sorted().enumerated() {
            hidden.withUnsafeBufferPointer { all in
                (b.x + i * dim).update(from: all.baseAddress! + o * dim, count: dim)
            }
        }
    }

    /// A step with no rows still passes its releases on to the later stages; returns no logits.
    func releaseInLaterStages() throws(EngineError) -> [Float] {
        let releases = takeStageReleases()
        guard let laterStages, !releases.isEmpty else { return [] }
        _ = try laterStages.run(StageBatch(rows: [], hidden: [], releases: releases))
        return []
    }

    /// The sequences released since the last pass (by a step, or by the executor after an error), now handed to
    /// the pass that carries them.
    func takeStageReleases() -> [SequenceID] {
        defer { stageReleases = [] }
        return stageReleases
    }
}

extension Engine: PipelineStage {
    /// The blocks this engine runs.
    public var layerRange: Range<Int> { weights.layerRange }

    /// Runs `batch` through this engine's blocks as a later pipeline stage: frees its releases, then for each
    /// sequence's run of rows starts the sequence afresh (position 0), rewinds it (an earlier position) or extends
    /// it (its next position), and writes the keys and values of its blocks into this engine's cache. Returns
    /// every row's residual stream, or only the output rows' when this engine holds the model's last block.
    /// Invalid input throws before any cache block changes (after the releases).
    public func runStage(_ batch: StageBatch) throws(EngineError) -> [Float] {
        let h = weights.hyperparameters
        let dim = h.embeddingLength
        guard weights.layerRange.lowerBound > 0 else {
            throw EngineError(.stageFailed, "the stage holding layer 0 embeds tokens; it takes no hidden states")
        }
        for sequence in batch.releases { release(sequence) }
        guard batch.hidden.count == batch.rows.count * dim else {
            throw EngineError(
                .invalidBatch,
                "\(batch.rows.count) rows need \(batch.rows.count * dim) floats, not \(batch.hidden.count)")
        }
        // Each sequence's rows: one run of consecutive positions.
        var runs: [(sequence: SequenceID, position: Int, count: Int)] = []
        var seen = Set<SequenceID>()
        for row in batch.rows {
            if let last = runs.last, last.sequence == row.sequence, last.position + last.count == row.position {
                runs[runs.count - 1].count += 1
                continue
            }
            guard seen.insert(row.sequence).inserted else {
                throw EngineError(
                    .invalidBatch, sequence: row.sequence,
                    "the sequence's rows are not one run of consecutive positions")
            }
            guard row.position >= 0, row.position <= stageLengths[row.sequence] ?? 0 else {
                throw EngineError(
                    .positionMismatch, sequence: row.sequence,
                    "rows start at position \(row.position) but the stage holds \(stageLengths[row.sequence] ?? 0) tokens"
                )
            }
            runs.append((row.sequence, row.position, 1))
        }
        for run in runs where run.position + run.count > contextLength {
            throw EngineError(
                .contextExceeded, sequence: run.sequence,
                "\(run.position + run.count) tokens exceed the context length \(contextLength)")
        }
        for run in runs {
            if run.position == 0 {
                kvCache.release(run.sequence)
            } else if run.position < stageLengths[run.sequence] ?? 0 {
                try kvCache.truncate(run.sequence, toTokens: run.position)
            }
            try kvCache.reserve(run.sequence, tokens: run.position + run.count)
            stageLengths[run.sequence] = run.position + run.count
        }
        var rows: [ForwardRow] = []
        var chunkLengths: [Int] = []
        for run in runs {
            let table = kvCache.table(of: run.sequence)
            for j in 0..<run.count {
                rows.append(
                    ForwardRow(
                        sequence: run.sequence, table: table, position: run.position + j, token: 0,
                        batched: run.count > 1))
            }
            chunkLengths += Array(repeating: run.count, count: run.count)
        }
        guard !rows.isEmpty else { return [] }
        let b = ForwardBuffers(rows: rows.count, hyperparameters: h)
        batch.hidden.withUnsafeBufferPointer { b.x.update(from: $0.baseAddress!, count: $0.count) }
        runLayers(rows, buffers: b, prompt: PromptRows(chunkLengths: chunkLengths))
        if weights.layerRange.upperBound < h.blockCount {
            return Array(UnsafeBufferPointer(start: b.x, count: rows.count * dim))
        }
        var hidden: [Float] = []
        hidden.reserveCapacity(batch.outputCount * dim)
        for (i, row) in batch.rows.enumerated() where row.isOutput {
            hidden += UnsafeBufferPointer(start: b.x + i * dim, count: dim)
        }
        return hidden
    }
}
