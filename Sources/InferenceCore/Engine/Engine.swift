import Foundation
import Grammar

/// The inference engine of one worker: a model, its paged KV cache, the sequences it runs and one thread pool.
/// Each `step` is one batched forward pass over any mix of prompt chunks and single-token decodes.
///
/// Not `Sendable`: one worker loop owns it and calls `step` from one thread at a time.
public final class Engine {
    /// The model.
    public let weights: ModelWeights
    /// The KV cache.
    public let kvCache: PagedKVCache
    /// The setup.
    public let options: EngineOptions
    /// Longest sequence the engine runs.
    public let contextLength: Int
    let pool: ComputePool
    var sequences: [SequenceID: SequenceState] = [:]
    /// Compiled output constraints, shared by the sequences that use them.
    let constraints: OutputConstraints
    /// The stages that run the blocks after this engine's, when the model is split into pipeline stages
    /// (`Engine+Stages.swift`); nil when this engine runs the whole model.
    public internal(set) var laterStages: (any LaterStages)?
    /// As a later pipeline stage: each sequence's tokens in this stage's KV cache (`Engine.runStage`).
    var stageLengths: [SequenceID: Int] = [:]
    /// As a first stage: sequences released here and not yet in the later stages (sent with the next pass).
    var stageReleases: [SequenceID] = []

    /// An engine for `weights` with a KV cache and thread pool as `options` describe.
    public init(weights: ModelWeights, options: EngineOptions = EngineOptions()) {
        self.weights = weights
        self.options = options
        let h = weights.hyperparameters
        contextLength = min(options.contextLength ?? h.contextLength, h.contextLength)
        kvCache = PagedKVCache(
            layers: weights.layers.count, kvDimension: h.kvDimension, capacityMiB: options.kvCacheMiB,
            blockSize: options.kvBlockSize, prefixCaching: options.prefixCaching,
            maxCachedShare: options.prefixCacheMaxShare)
        pool = ComputePool(threads: options.threads)
        constraints = OutputConstraints(weights: weights)
    }

    deinit { pool.shutdown() }

    /// Number of sequences the engine holds.
    public var sequenceCount: Int { sequences.count }

    /// Frees `sequence`'s KV blocks and forgets it.
    public func release(_ sequence: SequenceID) {
        kvCache.release(sequence)
        sequences.removeValue(forKey: sequence)
        stageLengths.removeValue(forKey: sequence)
        if laterStages != nil { stageReleases.append(sequence) }
    }

    /// Runs one step: releases, then one forward pass over every admitted chunk and decode, then sampling.
    /// Invalid input throws before any sequence or cache block changes (after the releases).
    ///
    /// With prefix caching, a chunk that starts on a block boundary first reuses the cached blocks that hold its
    /// leading tokens and computes only the rest; a prompt's last chunk always computes at least its last token,
    /// whose logits it samples from. The tokens reused are in `StepOutput.prefixHits`.
    public func step(_ batch: StepBatch) throws(EngineError) -> StepOutput {
        for sequence in batch.releases { release(sequence) }
        let plan = try plan(batch)
        for (e, entry) in plan.entries.enumerated() {
            if entry.isNew {
                kvCache.release(entry.sequence)
                var sampler = Sampler(entry.sampling, endOfGeneration: weights.endOfGenerationTokens)
                sampler.record(entry.tokens)
                sequences[entry.sequence] = SequenceState(sampler: sampler, constraint: plan.constraints[e])
            } else if entry.isAdmit {
                if entry.position < sequences[entry.sequence]!.length {
                    try kvCache.truncate(entry.sequence, toTokens: entry.position)
                }
                sequences[entry.sequence]!.sampler.record(entry.tokens)
            }
            if entry.isAdmit, let constraint = entry.sampling.constraint, constraint.generatedPrefix > 0 {
                var tail = sequences[entry.sequence]!.prefixTail + entry.tokens
                tail.removeFirst(max(0, tail.count - constraint.generatedPrefix))
                sequences[entry.sequence]!.prefixTail = tail
            }
            if entry.producesToken && entry.isAdmit, let masks = sequences[entry.sequence]!.constraint {
                // The prompt is complete: the grammar reads the output generated before a recomputation.
                let state = masks.state(after: sequences[entry.sequence]!.prefixTail)
                sequences[entry.sequence]!.grammarState = state ?? masks.start
                if state == nil { sequences[entry.sequence]!.finished = .stop }
            }
        }
        // Every look-up before any reservation, so that no admission evicts a block another one of the step reuses.
        let (reused, prefixHits) = reuseCachedPrefixes(plan)
        for entry in plan.entries {
            try kvCache.reserve(entry.sequence, tokens: entry.position + entry.tokens.count)
            sequences[entry.sequence]!.length = entry.position + entry.tokens.count
        }
        var rows: [ForwardRow] = []
        var outputRows: [Int] = []
        var outputEntries: [Int] = []
        // Longest computed chunks first, so that the rows llama.cpp would multiply with its prompt kernels are
        // prefixes (`PromptRows`); the results still come out in batch order.
        let computed = plan.entries.indices.map { plan.entries[$0].tokens.count - reused[$0] }
        let order = plan.entries.indices.sorted { a, b in
            computed[a] != computed[b] ? computed[a] > computed[b] : a < b
        }
        var rowChunks: [Int] = []
        var outputChunks: [Int] = []
        for e in order {
            let entry = plan.entries[e]
            let table = kvCache.table(of: entry.sequence)
            for j in reused[e]..<entry.tokens.count {
                rows.append(
                    ForwardRow(
                        sequence: entry.sequence, table: table, position: entry.position + j, token: entry.tokens[j],
                        batched: computed[e] > 1))
            }
            rowChunks += Array(repeating: computed[e], count: computed[e])
            if entry.producesToken {
                outputRows.append(rows.count - 1)
                outputEntries.append(e)
                outputChunks.append(computed[e])
            }
        }
        let started = ContinuousClock.now
        let logits =
            try rows.isEmpty
            ? releaseInLaterStages()
            : forward(
                rows, outputRows: outputRows,
                prompt: (PromptRows(chunkLengths: rowChunks), PromptRows(chunkLengths: outputChunks)),
                releases: takeStageReleases())
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        for (e, entry) in plan.entries.enumerated() {
            kvCache.record(entry.sequence, tokens: entry.tokens[reused[e]...], at: entry.position + reused[e])
        }
        let vocab = weights.vocabularySize
        var results: [StepOutput.Result] = []
        // Results in batch order, whatever order the rows ran in.
        for (o, e) in outputEntries.enumerated().sorted(by: { $0.element < $1.element }) {
            let sequence = plan.entries[e].sequence
            let token = try logits.withUnsafeBufferPointer { all throws(EngineError) in
                let row = UnsafeBufferPointer(rebasing: all[(o * vocab)..<((o + 1) * vocab)])
                let scan = LogitScan(row)
                guard scan.allFinite else {
                    kvCache.forgetContent(of: sequence)
                    throw EngineError(.nonFiniteLogits, sequence: sequence, "the model produced NaN or infinite logits")
                }
                let state = sequences[sequence]!
                let allowed = state.constraint?.mask(for: state.grammarState)
                if let allowed, allowed.allowedCount == 0, let end = weights.endOfGenerationTokens.min() {
                    // No token can continue the output (a grammar too large for its automaton): it ends here.
                    return Sampler.logprobs(of: end, in: row, top: state.sampler.parameters.topLogprobs)
                }
                return sequences[sequence]!.sampler.sample(row, scan: scan, allowed: allowed)
            }
            var state = sequences[sequence]!
            state.lastToken = token.token
            state.generated += 1
            let p = state.sampler.parameters
            var grammarDone = false
            if let masks = state.constraint {
                // A token the mask allowed always advances the grammar; nil means the grammar had no way on at all.
                if let next = masks.advance(state.grammarState, token: token.token) {
                    state.grammarState = next
                    grammarDone = masks.isComplete(next)
                } else {
                    grammarDone = true
                }
            }
            if state.finished != nil {
                // Already stopped (a recomputed output the grammar could not read).
            } else if grammarDone
                || (!p.ignoreEOS
                    && (weights.endOfGenerationTokens.contains(token.token) || p.stopTokens.contains(token.token)))
            {
                state.finished = .stop
            } else if state.generated >= p.maxTokens || state.length >= contextLength {
                state.finished = .length
            }
            sequences[sequence] = state
            results.append(
                StepOutput.Result(
                    sequence: sequence, token: token,
                    logits: batch.returnLogits ? Array(logits[(o * vocab)..<((o + 1) * vocab)]) : nil,
                    finishReason: state.finished, kvBlocks: kvCache.blocks(of: sequence)))
        }
        return StepOutput(results: results, forwardSeconds: seconds, prefixHits: prefixHits)
    }
}
