extension Engine {
    /// A pipeline's first stage with `options.pipelineMicroBatches` > 1: the pass cut at sequence boundaries into
    /// micro-batches of about equal rows (GPipe-style, inference only). Each micro-batch is embedded, run through
    /// this engine's blocks and submitted to the later stages, which compute it while this engine computes the next;
    /// then the output rows of all of them come back, in order, and the head runs once over them.
    ///
    /// Every row sees the same computation as in one pass: a sequence's chunk stays whole, so its rows keep their
    /// chunk length (`PromptRows`) and its attention is unchanged.
    func forwardInMicroBatches(
        _ rows: [ForwardRow], outputRows: [Int], prompt: (rows: PromptRows, outputs: PromptRows),
        releases: [SequenceID]
    ) throws(EngineError) -> [Float] {
        guard let laterStages else { return [] }
        let h = weights.hyperparameters
        let dim = h.embeddingLength
        // Each sequence's run of rows, then runs gathered into micro-batches of about rows / count rows.
        var runs: [Range<Int>] = []
        for i in rows.indices {
            if let last = runs.last, rows[last.lowerBound].sequence == rows[i].sequence {
                runs[runs.count - 1] = last.lowerBound..<(i + 1)
            } else {
                runs.append(i..<(i + 1))
            }
        }
        let target = (rows.count + options.pipelineMicroBatches - 1) / options.pipelineMicroBatches
        var groups: [Range<Int>] = []
        for run in runs {
            if let last = groups.last, last.count < target {
                groups[groups.count - 1] = last.lowerBound..<run.upperBound
            } else {
                groups.append(run)
            }
        }
        let outputs = Set(outputRows)
        for (g, group) in groups.enumerated() {
            let groupRows = Array(rows[group])
            let b = ForwardBuffers(rows: groupRows.count, hyperparameters: h)
            embed(groupRows, into: b)
            let chunks = runs.filter { group.contains($0.lowerBound) }.flatMap {
                Array(repeating: $0.count, count: $0.count)
            }
            runLayers(groupRows, buffers: b, prompt: PromptRows(chunkLengths: chunks))
            let batch = StageBatch(
                rows: group.map {
                    StageBatch.Row(
                        sequence: rows[$0].sequence, position: rows[$0].position, isOutput: outputs.contains($0))
                },
                hidden: Array(UnsafeBufferPointer(start: b.x, count: groupRows.count * dim)),
                releases: g == 0 ? releases : [])
            try laterStages.submit(batch)
        }
        // The output rows in row order, which is the order of the micro-batches and of the rows within each.
        let b = ForwardBuffers(rows: max(1, outputRows.count), hyperparameters: h)
        var filled = 0
        for group in groups {
            let hidden = try laterStages.collect()
            let expected = group.filter { outputs.contains($0) }.count
            guard hidden.count == expected * dim else {
                throw EngineError(
                    .stageFailed,
                    "the later stages returned \(hidden.count) floats for \(expected) output rows of \(dim)")
            }
            if expected > 0 {
                hidden.withUnsafeBufferPointer { (b.x + filled * dim).update(from: $0.baseAddress!, count: $0.count) }
            }
            filled += expected
        }
        return head(b, outputRows: Array(0..<outputRows.count), prompt: prompt.outputs)
    }
}
