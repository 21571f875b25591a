/// Remembers the ids of words already encoded during one `encode` call.
///
/// Text repeats words constantly, and both models encode a word the same way wherever it occurs, so a hit skips
/// the merge loop. Open addressing over a byte arena; cleared when it fills up.
struct WordCache {
    private var slots: [Int32]
    private var hashes: [UInt64] = []
    private var keyStarts: [Int32] = []
    private var keyLengths: [Int32] = []
    private var idStarts: [Int32] = []
    private var idCounts: [Int32] = []
    private var keyBytes: [UInt8] = []
    private var ids: [Int32] = []
    private let mask: Int
    private let limit: Int

    /// Longest word worth remembering, in bytes.
    static let maximumWordBytes = 256

    init(slotCount: Int = 1 << 16) {
        slots = [Int32](repeating: -1, count: slotCount)
        mask = slotCount - 1
        limit = slotCount / 2
    }

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        ByteStringTable.hash(bytes)
    }

    /// Appends the cached ids of `word` to `output` and returns true, or returns false.
    @inline(__always)
    func append(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, to output: inout [Int32]) -> Bool {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { return false }
            if hashes[index] == hash && Int(keyLengths[index]) == word.count {
                let start = Int(keyStarts[index])
                let equal = keyBytes.withUnsafeBufferPointer {
                    memcmpEqual($0.baseAddress! + start, word.baseAddress!, word.count)
                }
                if equal {
                    let from = Int(idStarts[index])
                    output.append(contentsOf: ids[from..<(from + Int(idCounts[index]))])
                    return true
                }
            }
            slot = (slot + 1) & mask
        }
    }

    /// Remembers that `word` encodes to `wordIDs`.
    mutating func insert(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, ids wordIDs: ArraySlice<Int32>) {
        if hashes.count >= limit { removeAll() }
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] >= 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(hashes.count)
        hashes.append(hash)
        keyStarts.append(Int32(keyBytes.count))
        keyLengths.append(Int32(word.count))
        keyBytes.append(contentsOf: word)
        idStarts.append(Int32(ids.count))
        idCounts.append(Int32(wordIDs.count))
        ids.append(contentsOf: wordIDs)
    }

    private mutating func removeAll() {
        for i in slots.indices { slots[i] = -1 }
        hashes.removeAll(keepingCapacity: true)
        keyStarts.removeAll(keepingCapacity: true)
        keyLengths.removeAll(keepingCapacity: true)
        idStarts.removeAll(keepingCapacity: true)
        idCounts.removeAll(keepingCapacity: true)
        keyBytes.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
    }
}
