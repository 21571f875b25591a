import Testing

@testable import InferenceCore

@Suite("Paged KV cache")
struct PagedKVCacheTests {
    func cache(blocks: Int) -> PagedKVCache {
        // One layer of 8 halves: a block of 16 tokens is 512 bytes, so 1 MiB holds 2048 blocks.
        let cache = PagedKVCache(layers: 1, kvDimension: 8, capacityMiB: 1)
        return cache
    }

    @Test("Capacity in MiB sets the number of blocks")
    func capacity() {
        let c = PagedKVCache(layers: 2, kvDimension: 64, capacityMiB: 1)
        #expect(c.blockCount == 1_048_576 / (2 * 2 * 16 * 64 * 2))
        #expect(c.freeBlocks == c.blockCount)
        #expect(c.blocksInUse == 0)
    }

    @Test("Reserving rounds up to whole blocks and keeps blocks already held")
    func reserve() throws {
        let c = cache(blocks: 0)
        try c.reserve(1, tokens: 1)
        #expect(c.blocks(of: 1) == 1)
        try c.reserve(1, tokens: 16)
        #expect(c.blocks(of: 1) == 1)
        try c.reserve(1, tokens: 17)
        #expect(c.blocks(of: 1) == 2)
        try c.reserve(2, tokens: 40)
        #expect(c.blocks(of: 2) == 3)
        #expect(c.blocksInUse == 5)
        #expect(Set(c.table(of: 1)).isDisjoint(with: c.table(of: 2)))
    }

    @Test("Release and truncate return blocks to the free list")
    func release() throws {
        let c = cache(blocks: 0)
        let total = c.freeBlocks
        try c.reserve(1, tokens: 100)
        try c.reserve(2, tokens: 10)
        try c.truncate(1, toTokens: 20)
        #expect(c.blocks(of: 1) == 2)
        c.release(1)
        #expect(c.blocks(of: 1) == 0)
        #expect(c.freeBlocks == total - 1)
        c.release(2)
        c.release(3)
        #expect(c.freeBlocks == total)
        #expect(c.blocksInUse == 0)
    }

    @Test("Asking for more blocks than are free throws and changes nothing")
    func full() throws {
        let c = cache(blocks: 0)
        let total = c.freeBlocks
        try c.reserve(1, tokens: (total - 1) * 16)
        #expect(throws: EngineError.self) { try c.reserve(2, tokens: 17) }
        #expect(c.blocks(of: 2) == 0)
        #expect(c.freeBlocks == 1)
        try c.reserve(2, tokens: 16)
        #expect(c.freeBlocks == 0)
    }

    @Test("An engine's sequences hold blocks until released", .enabled(if: EngineTestSupport.haveVocabs))
    func engineRelease() throws {
        let engine = Engine(weights: try ModelWeights(path: try EngineTestSupport.tinyLlama()))
        let free = engine.kvCache.freeBlocks
        let out = try engine.step(StepBatch(admits: [.init(sequence: 7, tokens: Array(repeating: 3, count: 20))]))
        #expect(out.results[0].kvBlocks == 2)
        #expect(engine.kvCache.blocksInUse == 2)
        _ = try engine.step(StepBatch(releases: [7]))
        #expect(engine.kvCache.freeBlocks == free)
        #expect(engine.sequenceCount == 0)
    }
}
