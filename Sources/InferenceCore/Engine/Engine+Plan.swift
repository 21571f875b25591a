import Grammar

/// A step checked against the engine's state, before anything changes.
struct StepPlan {
    /// One sequence's part of the step.
    struct Entry {
        var sequence: SequenceID
        var position: Int
        var tokens: [Int32]
        var isAdmit: Bool
        var isNew: Bool
        var producesToken: Bool
        var sampling: SamplingParameters
    }

    var entries: [Entry] = []
    /// For each entry, the compiled output constraint a new sequence starts with (nil otherwise).
    var constraints: [GrammarMasks?] = []
}

extension Engine {
    /// Checks every entry of `batch` (token ids, positions, context, KV capacity) and lists the work.
    func plan(_ batch: StepBatch) throws(EngineError) -> StepPlan {
        var plan = StepPlan()
        var seen = Set<SequenceID>()
        var blocksNeeded = 0
        let vocab = weights.vocabularySize
        for admit in batch.admits {
            let s = admit.sequence
            guard seen.insert(s).inserted else {
                throw EngineError(.invalidBatch, sequence: s, "the sequence appears twice in one step")
            }
            guard !admit.tokens.isEmpty else {
                throw EngineError(.invalidBatch, sequence: s, "the chunk has no tokens")
            }
            if let bad = admit.tokens.first(where: { $0 < 0 || Int($0) >= vocab }) {
                throw EngineError(
                    .tokenOutOfRange, sequence: s, "token id \(bad) is outside the vocabulary (0..<\(vocab))")
            }
            let state = sequences[s]
            let length = state?.length ?? 0
            guard admit.position >= 0, admit.position <= length else {
                throw EngineError(
                    .positionMismatch, sequence: s,
                    "the chunk starts at \(admit.position) but \(length) tokens are cached")
            }
            guard admit.position + admit.tokens.count <= contextLength else {
                throw EngineError(
                    .contextExceeded, sequence: s,
                    "\(admit.position + admit.tokens.count) tokens exceed the context length \(contextLength)")
            }
            let sampling = admit.sampling ?? state?.sampler.parameters ?? SamplingParameters()
            try sampling.validate()
            let kept = kvCache.blocksNeeded(forTokens: admit.position)
            let held = min(kept, kvCache.blocks(of: s))
            blocksNeeded += max(0, kvCache.blocksNeeded(forTokens: admit.position + admit.tokens.count) - held)
            if kvCache.prefixCaching && admit.position < length && admit.position % kvCache.blockSize != 0 {
                blocksNeeded += 1  // a rewind into a shared block writes into a copy of it
            }
            let isNew = state == nil || admit.position == 0
            plan.entries.append(
                StepPlan.Entry(
                    sequence: s, position: admit.position, tokens: admit.tokens, isAdmit: true, isNew: isNew,
                    producesToken: admit.isLastChunk, sampling: sampling))
            plan.constraints.append(
                try isNew
                    ? sampling.constraint.map { (c) throws(EngineError) in try constraints.masks(for: c.kind) } : nil)
        }
        for s in batch.decodes {
            guard seen.insert(s).inserted else {
                throw EngineError(.invalidBatch, sequence: s, "the sequence appears twice in one step")
            }
            guard let state = sequences[s] else {
                throw EngineError(.unknownSequence, sequence: s, "decode of a sequence that was never admitted")
            }
            guard let token = state.lastToken, state.finished == nil else {
                throw EngineError(
                    .invalidBatch, sequence: s,
                    state.finished == nil ? "decode before the prompt's last chunk" : "decode of a finished sequence")
            }
            guard state.length + 1 <= contextLength else {
                throw EngineError(
                    .contextExceeded, sequence: s, "the sequence has reached the context length \(contextLength)")
            }
            blocksNeeded += kvCache.additionalBlocks(for: s, tokens: state.length + 1)
            plan.entries.append(
                StepPlan.Entry(
                    sequence: s, position: state.length, tokens: [token], isAdmit: false, isNew: false,
                    producesToken: true, sampling: state.sampler.parameters))
            plan.constraints.append(nil)
        }
        guard blocksNeeded <= kvCache.freeBlocks else {
            throw EngineError(
                .kvCacheFull, "the step needs \(blocksNeeded) more KV blocks but \(kvCache.freeBlocks) are free")
        }
        return plan
    }
}
