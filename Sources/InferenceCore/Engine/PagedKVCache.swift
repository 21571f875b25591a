/// Keys and values of every cached token, in fixed-size blocks of `blockSize` tokens stored as F16 (as llama.cpp's
/// default cache), with a block table per sequence and a free list.
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
    /// Halves per block.
    let blockElements: Int
    let storage: UnsafeMutablePointer<UInt16>
    private var freeList: [Int]
    private var tables: [SequenceID: [Int]] = [:]

    /// Bytes one block takes.
    public static func blockBytes(layers: Int, kvDimension: Int, blockSize: Int) -> Int {
        layers * 2 * blockSize * kvDimension * 2
    }

    /// A cache of as many blocks as fit in `capacityMiB` MiB.
    public init(layers: Int, kvDimension: Int, capacityMiB: Int, blockSize: Int = 16) {
        self.blockSize = blockSize
        self.layerCount = layers
        self.kvDimension = kvDimension
        let bytes = Self.blockBytes(layers: layers, kvDimension: kvDimension, blockSize: blockSize)
        blockCount = max(0, capacityMiB) * 1_048_576 / bytes
        blockElements = bytes / 2
        storage = .allocate(capacity: max(1, blockCount * blockElements))
        freeList = Array((0..<blockCount).reversed())
    }

    deinit { storage.deallocate() }

    /// Blocks held by sequences.
    public var blocksInUse: Int { blockCount - freeList.count }
    /// Blocks on the free list.
    public var freeBlocks: Int { freeList.count }
    /// Blocks held by `sequence`.
    public func blocks(of sequence: SequenceID) -> Int { tables[sequence]?.count ?? 0 }

    /// Blocks needed to hold `tokens` tokens.
    public func blocksNeeded(forTokens tokens: Int) -> Int { (tokens + blockSize - 1) / blockSize }

    /// Extra blocks `sequence` needs to hold `tokens` tokens in all.
    public func additionalBlocks(for sequence: SequenceID, tokens: Int) -> Int {
        max(0, blocksNeeded(forTokens: tokens) - blocks(of: sequence))
    }

    /// Makes room for `tokens` tokens of `sequence` (keeping blocks it already holds); throws `kvCacheFull`,
    /// changing nothing, when the free list is too short.
    public func reserve(_ sequence: SequenceID, tokens: Int) throws(EngineError) {
        let extra = additionalBlocks(for: sequence, tokens: tokens)
        guard extra <= freeList.count else {
            throw EngineError(
                .kvCacheFull, sequence: sequence,
                "the KV cache needs \(extra) more blocks for \(tokens) tokens but has \(freeList.count) free")
        }
        var table = tables[sequence] ?? []
        for _ in 0..<extra { table.append(freeList.removeLast()) }
        tables[sequence] = table
    }

    /// Frees the blocks of `sequence` past the first `tokens` tokens.
    public func truncate(_ sequence: SequenceID, toTokens tokens: Int) {
        guard var table = tables[sequence] else { return }
        let keep = blocksNeeded(forTokens: tokens)
        while table.count > keep { freeList.append(table.removeLast()) }
        tables[sequence] = table
    }

    /// Frees every block of `sequence`.
    public func release(_ sequence: SequenceID) {
        guard let table = tables.removeValue(forKey: sequence) else { return }
        freeList.append(contentsOf: table.reversed())
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
}
