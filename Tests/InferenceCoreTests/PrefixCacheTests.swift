import Testing

@testable import InferenceCore

/// Content-addressed KV blocks, at the level of the cache alone: what is kept, shared, copied and evicted.
@Suite("Prefix cache blocks")
struct PrefixCacheTests {
    /// One layer of 8 halves: a block of 16 tokens is 512 bytes, so 1 MiB holds 2048 blocks.
    func cache(share: Double = 1, prefixCaching: Bool = true) -> PagedKVCache {
        PagedKVCache(layers: 1, kvDimension: 8, capacityMiB: 1, prefixCaching: prefixCaching, maxCachedShare: share)
    }

    /// `count` tokens that start with `seed` and differ from any other seed's.
    func tokens(_ count: Int, seed: Int32) -> [Int32] { (0..<Int32(count)).map { seed * 1000 + $0 } }

    /// Reserves and records `prompt` for `sequence`, as the engine does around a forward pass, after reusing what it
    /// can; returns the tokens reused.
    @discardableResult
    func run(_ c: PagedKVCache, _ sequence: SequenceID, _ prompt: [Int32]) throws -> Int {
        let reused = c.reuseCachedBlocks(for: sequence, tokens: prompt[...], limit: prompt.count - 1)
        try c.reserve(sequence, tokens: prompt.count)
        c.record(sequence, tokens: prompt[reused...], at: reused)
        return reused
    }

    @Test("Full blocks of a released sequence stay cached; the partial last block is freed, never shared")
    func keptAfterRelease() throws {
        let c = cache()
        let prompt = tokens(40, seed: 1)
        try run(c, 1, prompt)
        let table = c.table(of: 1)
        #expect(table.count == 3)
        #expect(c.isIndexed(table[0]) && c.isIndexed(table[1]) && !c.isIndexed(table[2]))
        c.release(1)
        #expect(c.cachedBlocks == 2)
        #expect(c.freeBlocks == c.blockCount)
        #expect(c.blocksInUse == 0)
        #expect(try run(c, 2, prompt) == 32)
        #expect(Array(c.table(of: 2).prefix(2)) == Array(table.prefix(2)))
        #expect(c.cachedBlocks == 0)
        #expect(c.statistics.queries == 2)
        #expect(c.statistics.hitTokens == 32)
    }

    @Test("Shared blocks survive the end of the sequence that made them")
    func sharedSurvive() throws {
        let c = cache()
        let shared = tokens(32, seed: 1)
        try run(c, 1, shared + tokens(5, seed: 2))
        #expect(try run(c, 2, shared + tokens(9, seed: 3)) == 32)
        let blocks = Array(c.table(of: 1).prefix(2))
        #expect(Array(c.table(of: 2).prefix(2)) == blocks)
        #expect(blocks.allSatisfy { c.referenceCount(of: $0) == 2 })
        c.release(1)
        #expect(blocks.allSatisfy { c.referenceCount(of: $0) == 1 && c.isIndexed($0) })
        #expect(c.cachedBlocks == 0)
        #expect(c.blocksInUse == 3)
        c.release(2)
        #expect(Set(c.idleBlocksInOrder) == Set(blocks))
        #expect(try run(c, 3, shared + tokens(1, seed: 4)) == 32)
    }

    @Test("A prompt that leaves the cached path mid-way reuses only the blocks before it")
    func divergence() throws {
        let c = cache()
        let first = tokens(64, seed: 1)
        try run(c, 1, first)
        var other = first
        other[40] = 7
        #expect(try run(c, 2, other) == 32)
        #expect(try run(c, 3, tokens(64, seed: 5)) == 0)
        // Reuse needs the same position too: the same block's tokens after a different first block do not match.
        #expect(try run(c, 4, tokens(16, seed: 9) + Array(first[16..<48])) == 0)
    }

    @Test("Eviction frees exactly the unreferenced blocks, least recently used first")
    func evictionOrder() throws {
        let c = cache()
        let total = c.blockCount
        // Three prompts of two full blocks; the second stays held by sequence 4 that shares it.
        for s in 1...3 { try run(c, SequenceID(s), tokens(32, seed: Int32(s))) }
        try run(c, 4, tokens(32, seed: 2) + tokens(16, seed: 8))
        c.release(3)
        c.release(1)
        c.release(2)
        let idle = c.idleBlocksInOrder
        #expect(idle.count == 4)  // sequence 3's blocks, then 1's; 2's are still held by sequence 4
        let held = c.table(of: 4)
        #expect(Set(held).isDisjoint(with: idle))
        // Take every free block, then three more: the three oldest idle blocks go, in that order.
        try c.reserve(10, tokens: (total - c.blocksInUse - idle.count) * 16)
        #expect(c.freeBlocks == 4)
        try c.reserve(11, tokens: 3 * 16)
        #expect(c.table(of: 11) == Array(idle.prefix(3)))
        #expect(c.statistics.evictions == 3)
        #expect(c.idleBlocksInOrder == [idle[3]])
        #expect(c.table(of: 4) == held)
        #expect(held.allSatisfy { c.referenceCount(of: $0) == 1 })
        // Sequence 3's prompt is gone from the index; sequence 1's second block is still there but unreachable
        // without its first, and sequence 2's (held) is found.
        #expect(try run(c, 12, tokens(32, seed: 2) + [1]) == 32)
        c.release(10)
        #expect(try run(c, 13, tokens(32, seed: 3) + [1]) == 0)
        // A reservation larger than free and idle blocks together changes nothing.
        let before = (c.freeBlocks, c.cachedBlocks, c.statistics.evictions)
        #expect(throws: EngineError.self) { try c.reserve(14, tokens: (c.freeBlocks + 1) * 16) }
        #expect((c.freeBlocks, c.cachedBlocks, c.statistics.evictions) == before)
    }

    @Test("Idle cached blocks hold at most their share of the cache", arguments: [0.0, 0.001, 0.5])
    func share(share: Double) throws {
        let c = cache(share: share)
        let bound = Int((share * Double(c.blockCount)).rounded(.down))
        for s in 1...10 {
            try run(c, SequenceID(s), tokens(48, seed: Int32(s)))
            c.release(SequenceID(s))
            #expect(c.cachedBlocks == min(bound, 3 * s))
        }
        #expect(c.freeBlocks == c.blockCount)
        #expect(c.statistics.evictions == 30 - min(bound, 30))
    }

    @Test("Without prefix caching nothing is kept or reused")
    func off() throws {
        let c = cache(prefixCaching: false)
        try run(c, 1, tokens(40, seed: 1))
        c.release(1)
        #expect(c.cachedBlocks == 0)
        #expect(c.maxCachedBlocks == 0)
        #expect(try run(c, 2, tokens(40, seed: 1)) == 0)
        #expect(c.statistics == PrefixCacheStatistics())
    }

    @Test("Rewinding into a shared block writes into a copy; a block held alone leaves the index instead")
    func copyOnWrite() throws {
        let c = cache()
        let prompt = tokens(40, seed: 1)
        try run(c, 1, prompt)
        #expect(try run(c, 2, prompt) == 32)
        let shared = c.table(of: 1)[1]
        let slot = 3
        c.keyRow(block: shared, layer: 0, slot: slot)[0] = 0x3C00
        try c.truncate(2, toTokens: 20)
        let copy = c.table(of: 2)[1]
        #expect(copy != shared)
        #expect(c.keyRow(block: copy, layer: 0, slot: slot)[0] == 0x3C00)
        #expect(c.isIndexed(shared) && !c.isIndexed(copy))
        #expect(c.referenceCount(of: shared) == 1)
        #expect(c.recordedTokens(of: 2) == 20)
        // Sequence 1 alone holds its second block now: rewinding into it takes it out of the index.
        try c.truncate(1, toTokens: 24)
        #expect(c.table(of: 1)[1] == shared)
        #expect(!c.isIndexed(shared))
        c.release(1)
        c.release(2)
        #expect(try run(c, 3, prompt) == 16)
    }
}
