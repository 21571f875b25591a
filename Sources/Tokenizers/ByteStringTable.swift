/// An immutable hash table from byte strings to token ids, looked up without allocating.
///
/// Keys live in one flat byte array; slots use open addressing with linear probing.
struct ByteStringTable: Sendable {
    private var keyBytes: [UInt8] = []
    private var keyStarts: [Int32] = []
    private var keyLengths: [Int32] = []
    private var values: [Int32] = []
    private var slots: [Int32]  // index into keys, or -1
    private let mask: Int

    /// Builds a table from `(key, value)` pairs; a later duplicate key is ignored.
    init<S: Sequence>(_ pairs: S, capacity: Int) where S.Element == ([UInt8], Int32) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (key, value) in pairs {
            key.withUnsafeBufferPointer { buffer in
                guard lookup(buffer) == nil else { return }
                var slot = Int(truncatingIfNeeded: Self.hash(buffer)) & mask
                while slots[slot] >= 0 { slot = (slot + 1) & mask }
                slots[slot] = Int32(values.count)
                keyStarts.append(Int32(keyBytes.count))
                keyLengths.append(Int32(buffer.count))
                keyBytes.append(contentsOf: buffer)
                values.append(value)
            }
        }
    }

    /// Number of keys.
    var count: Int { values.count }

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            h = (h ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return h ^ (h >> 29)
    }

    /// The value stored for `bytes`, or nil.
    @inline(__always)
    func lookup(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        var slot = Int(truncatingIfNeeded: Self.hash(bytes)) & mask
        return slots.withUnsafeBufferPointer { slotBuffer in
            keyBytes.withUnsafeBufferPointer { keyBuffer in
                while true {
                    let index = Int(slotBuffer[slot])
                    if index < 0 { return nil }
                    let length = Int(keyLengths[index])
                    if length == bytes.count {
                        let start = Int(keyStarts[index])
                        if length == 0
                            || memcmpEqual(keyBuffer.baseAddress! + start, bytes.baseAddress!, length)
                        {
                            return values[index]
                        }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// The value stored for `bytes`, or nil.
    func lookup(_ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBufferPointer { lookup($0) }
    }
}

@inline(__always)
func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    var i = 0
    while i < count {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// An immutable hash table from a pair of token ids to the merge's rank and resulting token id.
///
/// Key, rank and result share one 16-byte slot so a probe touches one cache line.
struct MergeTable: Sendable {
    private struct Slot: Sendable {
        var key: UInt64
        var rank: Int32
        var merged: Int32
    }

    private var slots: [Slot]
    private let mask: Int
    private static let empty = UInt64.max

    /// Builds a table from `(left, right, rank, merged)`; the first (lowest-rank) entry for a pair wins.
    init(_ entries: [(left: Int32, right: Int32, rank: Int32, merged: Int32)]) {
        var size = 16
        while size < entries.count * 2 { size <<= 1 }
        slots = [Slot](repeating: Slot(key: Self.empty, rank: 0, merged: 0), count: size)
        mask = size - 1
        for entry in entries {
            let key = Self.key(entry.left, entry.right)
            var slot = Self.slot(key, mask)
            while slots[slot].key != Self.empty && slots[slot].key != key { slot = (slot + 1) & mask }
            if slots[slot].key == key { continue }
            slots[slot] = Slot(key: key, rank: entry.rank, merged: entry.merged)
        }
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The rank and merged id for the pair, or nil when the pair does not merge.
    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> (rank: Int32, merged: Int32)? {
        let key = Self.key(left, right)
        var slot = Self.slot(key, mask)
        return slots.withUnsafeBufferPointer { buffer in
            while true {
                let found = buffer[slot]
                if found.key == key { return (found.rank, found.merged) }
                if found.key == Self.empty { return nil }
                slot = (slot + 1) & mask
            }
        }
    }
}

/// A binary min-heap of packed 64-bit priorities with a payload, reused across words.
struct MergeQueue {
    /// One candidate merge: `key` orders the queue (smaller first); the payload says what to merge.
    struct Entry {
        var key: UInt64
        var right: Int32
        var size: Int32
        var merged: Int32
    }

    private(set) var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }

    mutating func removeAll() { entries.removeAll(keepingCapacity: true) }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        entries.withUnsafeMutableBufferPointer { heap in
            while child > 0 {
                let parent = (child - 1) >> 1
                if heap[parent].key <= heap[child].key { break }
                heap.swapAt(parent, child)
                child = parent
            }
        }
    }

    mutating func pop() -> Entry {
        let top = entries[0]
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries.withUnsafeMutableBufferPointer { heap in
                heap[0] = last
                var parent = 0
                let count = heap.count
                while true {
                    let left = 2 * parent + 1
                    if left >= count { break }
                    var smallest = left
                    if left + 1 < count && heap[left + 1].key < heap[left].key { smallest = left + 1 }
                    if heap[parent].key <= heap[smallest].key { break }
                    heap.swapAt(parent, smallest)
                    parent = smallest
                }
            }
        }
        return top
    }
}
