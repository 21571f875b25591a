/// Keys and values of every cached token, in fixed-size blocks of `blockSize` tokens stored as F16 (as llama.cpp's
/// default cache), with a block table per sequence.
///
/// With prefix caching on, every full block is also addressed by its content (`Basics.PrefixHash`, chained over
/// the blocks before it): blocks are reference-counted and shared read-only by the sequences whose tokens match,
/// a released block stays as cache (idle) until a new block is needed, and then the least recently used idle block
/// is given up. A block that is not full is never shared. `freeBlocks` counts idle blocks as free, since any of them
/// can be taken at once. See `PagedKVCache+Prefix.swift`.
///
/// One block holds, for every layer, `blockSize` key rows then `blockSize` value rows of `kvDimension` halves.
/// Not thread-safe for changes: the engine changes it between forward passes; during a pass the pool's threads only
/// read and write rows of blocks the pass owns.
public final class PagedKVCache {
    /// Tokens per block.
    public let blockSize: Int
    /// Number of layers.
    public let layerCount: Int
    /// Halves per key (and per value) row.
    public let kvDimension: Int
    /// Number of blocks in all.
    public let blockCount: Int
    /// Whether full blocks are kept after their sequences end and shared by content.
    public let prefixCaching: Bool
    /// The most idle cached blocks kept (`maxCachedShare` of `blockCount`); past it, the oldest are freed.
    public let maxCachedBlocks: Int
    /// Halves per block.
    let blockElements: Int
    let storage: UnsafeMutablePointer<UInt16>
    /// Blocks that hold nothing anyone may reuse.
    var freeList: [Int]
    var tables: [SequenceID: [Int]] = [:]
    /// Per block: the sequences holding it.
    var references: [Int]
    /// Per block: its content hash while it is in `index`.
    var blockHashes: [UInt64?]
    /// Per block in `index`: its tokens, compared on every hit so that a hash collision can never share a block.
    var blockTokens: [[Int32]]
    /// Content hash → block, for every full block whose content is known.
    var index: [UInt64: Int] = [:]
    /// Cached blocks no sequence holds, least recently used first.
    var idle: IdleBlockList
    /// Per sequence: the tokens in its blocks and the chain hashes of its full blocks (kept with prefix caching).
    var contents: [SequenceID: SequenceContent] = [:]
    /// Totals since the cache was made.
    public internal(set) var statistics = PrefixCacheStatistics()

    /// What a sequence's blocks hold.
    struct SequenceContent {
        var tokens: [Int32] = []
        var hashes: [UInt64] = []
    }

    /// Bytes one block takes.
    public static func blockBytes(layers: Int, kvDimension: Int, blockSize: Int) -> Int {
        layers * 2 * blockSize * kvDimension * 2
    }

    /// A cache of as many blocks as fit in `capacityMiB` MiB; with `prefixCaching`, idle cached blocks hold at most
    /// `maxCachedShare` (0…1) of them.
    public init(
        layers: Int, kvDimension: Int, capacityMiB: Int, blockSize: Int = 16, prefixCaching: Bool = true,
        maxCachedShare: Double = 1
    ) {
        self.blockSize = blockSize
        self.layerCount = layers
        self.kvDimension = kvDimension
        let bytes = Self.blockBytes(layers: layers, kvDimension: kvDimension, blockSize: blockSize)
        blockCount = max(0, capacityMiB) * 1_048_576 / bytes
        blockElements = bytes / 2
        self.prefixCaching = prefixCaching
        maxCachedBlocks = prefixCaching ? Int((min(1, max(0, maxCachedShare)) * Double(blockCount)).rounded(.down)) : 0
        storage = .allocate(capacity: max(1, blockCount * blockElements))
        freeList = Array((0..<blockCount).reversed())
        references = Array(repeating: 0, count: blockCount)
        blockHashes = Array(repeating: nil, count: blockCount)
        blockTokens = Array(repeating: [], count: blockCount)
        idle = IdleBlockList(capacity: blockCount)
    }

    deinit { storage.deallocate() }

    /// Blocks held by sequences.
    public var blocksInUse: Int { blockCount - freeBlocks }
    /// Blocks a sequence can take now: the free list plus the idle cached blocks.
    public var freeBlocks: Int { freeList.count + idle.count }
    /// Idle cached blocks: no sequence holds them, a new sequence whose prompt starts with their tokens reuses them.
    public var cachedBlocks: Int { idle.count }
    /// Blocks held by `sequence`.
    public func blocks(of sequence: SequenceID) -> Int { tables[sequence]?.count ?? 0 }

    /// Blocks needed to hold `tokens` tokens.
    public func blocksNeeded(forTokens tokens: Int) -> Int { (tokens + blockSize - 1) / blockSize }

    /// Extra blocks `sequence` needs to hold `tokens` tokens in all.
    public func additionalBlocks(for sequence: SequenceID, tokens: Int) -> Int {
        max(0, blocksNeeded(forTokens: tokens) - blocks(of: sequence))
    }

    /// Makes room for `tokens` tokens of `sequence` (keeping blocks it already holds), taking idle cached blocks,
    /// least recently used first, once the free list is empty; throws `kvCacheFull`, changing nothing, when there
    /// are not enough of both.
    public func reserve(_ sequence: SequenceID, tokens: Int) throws(EngineError) {
        let extra = additionalBlocks(for: sequence, tokens: tokens)
        guard extra <= freeBlocks else {
            throw EngineError(
                .kvCacheFull, sequence: sequence,
                "the KV cache needs \(extra) more blocks for \(tokens) tokens but has \(freeBlocks) free")
        }
        var table = tables[sequence] ?? []
        for _ in 0..<extra { table.append(takeBlock()) }
        tables[sequence] = table
    }

    /// Frees the blocks of `sequence` past the first `tokens` tokens. When the block that now ends the sequence is
    /// cached and will be written again, the sequence gets a private copy of it (or, if it alone held it, the block
    /// leaves the index); that copy may need one free block, else `kvCacheFull` is thrown.
    public func truncate(_ sequence: SequenceID, toTokens tokens: Int) throws(EngineError) {
        guard var table = tables[sequence] else { return }
        let keep = blocksNeeded(forTokens: tokens)
        while table.count > keep { releaseBlock(table.removeLast()) }
        if tokens % blockSize != 0, let last = table.last, blockHashes[last] != nil {
            if references[last] == 1 {
                unregister(last)
            } else {
                guard freeBlocks > 0 else {
                    throw EngineError(
                        .kvCacheFull, sequence: sequence, "the KV cache has no free block to copy a shared block into")
                }
                let copy = takeBlock()
                (storage + copy * blockElements).update(from: storage + last * blockElements, count: blockElements)
                releaseBlock(last)
                table[table.count - 1] = copy
            }
        }
        tables[sequence] = table
        if var content = contents[sequence] {
            content.tokens.removeLast(max(0, content.tokens.count - tokens))
            content.hashes.removeLast(max(0, content.hashes.count - tokens / blockSize))
            contents[sequence] = content
        }
    }

    /// Gives up every block of `sequence`: full blocks whose content is known stay as idle cache, the rest are freed.
    public func release(_ sequence: SequenceID) {
        contents.removeValue(forKey: sequence)
        guard let table = tables.removeValue(forKey: sequence) else { return }
        for block in table.reversed() { releaseBlock(block) }
    }

    /// The block table of `sequence` (block indices in position order).
    public func table(of sequence: SequenceID) -> [Int] { tables[sequence] ?? [] }

    /// The key row of the token in `slot` of `block` at `layer`; the value row follows `blockSize` rows later.
    @inline(__always)
    func keyRow(block: Int, layer: Int, slot: Int) -> UnsafeMutablePointer<UInt16> {
        storage + block * blockElements + (layer * 2 * blockSize + slot) * kvDimension
    }

    /// The value row of the token in `slot` of `block` at `layer`.
    @inline(__always)
    func valueRow(block: Int, layer: Int, slot: Int) -> UnsafeMutablePointer<UInt16> {
        storage + block * blockElements + (layer * 2 * blockSize + blockSize + slot) * kvDimension
    }

    // MARK: Blocks

    /// A block for one sequence: from the free list, else the least recently used idle block (evicted). The caller
    /// has checked `freeBlocks`.
    func takeBlock() -> Int {
        let block: Int
        if let free = freeList.popLast() {
            block = free
        } else {
            block = idle.popOldest()!
            unregister(block)
            statistics.evictions += 1
        }
        references[block] = 1
        return block
    }

    /// One sequence lets go of `block`: the last one to do so leaves it idle (if its content is known) or free.
    func releaseBlock(_ block: Int) {
        references[block] -= 1
        guard references[block] == 0 else { return }
        if blockHashes[block] != nil {
            idle.pushNewest(block)
            while idle.count > maxCachedBlocks, let oldest = idle.popOldest() {
                unregister(oldest)
                freeList.append(oldest)
                statistics.evictions += 1
            }
        } else {
            freeList.append(block)
        }
    }

    /// Takes `block` out of the index (its content is about to change or be forgotten).
    func unregister(_ block: Int) {
        guard let hash = blockHashes[block] else { return }
        if index[hash] == block { index.removeValue(forKey: hash) }
        blockHashes[block] = nil
        blockTokens[block] = []
    }
}
