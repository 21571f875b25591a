import Basics
import WorkerProtocol

extension SchedulerCore {
    /// Takes in what worker `index` reused for a prompt chunk: the blocks it shares read-only (counted once in
    /// `kvAccounting`, however many of the worker's sequences hold them) and, for the request's first admission,
    /// the cached prompt tokens its usage reports.
    mutating func notePrefixHit(_ hit: PrefixHit, from index: Int) {
        guard let sequence = sequences[hit.sequenceID], sequence.worker == index else { return }
        let size = workers[index].kvBlockSize
        let position = Int(hit.position)
        let tokens = Int(hit.cachedTokens)
        if position == 0 {
            sequence.reusedBlocks = []
            if sequence.recomputations == 0 { sequence.cachedPromptTokens = 0 }
        }
        guard tokens > 0, position % size == 0, position + tokens <= sequence.prefill.count else { return }
        let first = position / size
        let chain = PrefixHash.chain(sequence.prefill, blockSize: size, limit: first + tokens / size)
        sequence.reusedBlocks += chain[first...]
        if sequence.recomputations == 0 {
            sequence.cachedPromptTokens = min(sequence.request.promptTokens.count, position + tokens)
        }
    }

    /// Notes in worker `index`'s affinity index that it now holds (or will, once prefilled) the full blocks of
    /// `tokens`.
    mutating func rememberPrefix(_ tokens: [Int32], on index: Int, at now: Duration) {
        guard workers.count > 1 else { return }
        workers[index].prefixes.insert(PrefixHash.chain(tokens, blockSize: workers[index].kvBlockSize), at: now)
    }

    /// The chain hashes of what `sequence` would prefill now (its prompt plus any generated tokens), computed once
    /// per length.
    func prefillChain(of sequence: Sequence, blockSize: Int) -> [UInt64] {
        let tokens = sequence.request.promptTokens + sequence.generated
        if let cached = sequence.chainCache, cached.tokens == tokens.count { return cached.hashes }
        let hashes = PrefixHash.chain(tokens, blockSize: blockSize)
        sequence.chainCache = (tokens.count, hashes)
        return hashes
    }

    /// Where a waiting request `id` should run: the live worker that holds the longest prefix of it (by the
    /// affinity index), if that is at least `limits.prefixAffinityMinTokens` longer than `candidate`'s and the
    /// worker is not overloaded (all its running slots taken, or too few free KV blocks for the prompt); nil when
    /// `candidate` may take it. A request that has waited `limits.prefixAffinityMaxWait` goes to any worker.
    func preferredWorker(for id: UInt64, over candidate: Int, at now: Duration) -> Int? {
        guard workers.count > 1, limits.prefixAffinityMinTokens > 0, let sequence = sequences[id],
            now - sequence.arrival < limits.prefixAffinityMaxWait
        else { return nil }
        let size = workers[candidate].kvBlockSize
        let chain = prefillChain(of: sequence, blockSize: size)
        guard !chain.isEmpty else { return nil }
        let mine = workers[candidate].prefixes.matchedBlocks(chain)
        let needed = blocks(sequence.request.promptTokens.count + sequence.generated.count, on: candidate)
        var best: (index: Int, blocks: Int)?
        for (w, worker) in workers.enumerated() where w != candidate && worker.live {
            guard worker.running.count < limits.maxRunning, kvBlocksFree(on: w) >= needed else { continue }
            let matched = worker.prefixes.matchedBlocks(chain)
            if matched > (best?.blocks ?? mine) { best = (w, matched) }
        }
        guard let best, (best.blocks - mine) * size >= limits.prefixAffinityMinTokens else { return nil }
        return best.index
    }

    /// The worker a request was routed to by prefix since this was last called, to be woken if idle; nil if none
    /// (`planStep` turns it into a `wakeWorker` action).
    mutating func takeRoutedWake() -> Int? {
        defer { routedWake = nil }
        guard let routed = routedWake, workers[routed].live, !workers[routed].stepping else { return nil }
        return routed
    }

    /// Cached prompt tokens the worker reported for request `id` so far (for tests and diagnostics).
    public func cachedPromptTokens(of id: UInt64) -> Int? { sequences[id]?.cachedPromptTokens }
}
