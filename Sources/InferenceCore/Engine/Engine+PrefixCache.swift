extension Engine {
    /// For each entry of `plan`, the leading tokens it takes from cached blocks (0 for decodes, for chunks that do
    /// not start on a block boundary, and without prefix caching), with one hit per admitted chunk that looked.
    /// A last chunk keeps at least one token to compute.
    func reuseCachedPrefixes(_ plan: StepPlan) -> (reused: [Int], hits: [StepOutput.PrefixHit]) {
        var reused = Array(repeating: 0, count: plan.entries.count)
        guard kvCache.prefixCaching else { return (reused, []) }
        var hits: [StepOutput.PrefixHit] = []
        for (e, entry) in plan.entries.enumerated() where entry.isAdmit {
            let s = entry.sequence
            guard entry.position % kvCache.blockSize == 0, kvCache.recordedTokens(of: s) == entry.position,
                kvCache.blocks(of: s) * kvCache.blockSize == entry.position
            else { continue }
            let limit = entry.producesToken ? entry.tokens.count - 1 : entry.tokens.count
            reused[e] = kvCache.reuseCachedBlocks(for: s, tokens: entry.tokens[...], limit: limit)
            hits.append(StepOutput.PrefixHit(sequence: s, position: entry.position, tokens: reused[e]))
        }
        return (reused, hits)
    }
}
