/// The cached blocks no sequence holds, oldest use first: a doubly linked list threaded through two arrays indexed
/// by block, so that taking a block out of the middle (a sequence reuses it) and evicting the oldest are both O(1).
struct IdleBlockList {
    private var previous: [Int]
    private var next: [Int]
    private var member: [Bool]
    private var oldest = -1
    private var newest = -1
    /// Blocks on the list.
    private(set) var count = 0

    /// An empty list for blocks `0..<capacity`.
    init(capacity: Int) {
        previous = Array(repeating: -1, count: capacity)
        next = Array(repeating: -1, count: capacity)
        member = Array(repeating: false, count: capacity)
    }

    /// Whether `block` is on the list.
    func contains(_ block: Int) -> Bool { member[block] }

    /// Puts `block` at the newest end.
    mutating func pushNewest(_ block: Int) {
        precondition(!member[block], "block \(block) is already idle")
        member[block] = true
        previous[block] = newest
        next[block] = -1
        if newest >= 0 { next[newest] = block } else { oldest = block }
        newest = block
        count += 1
    }

    /// Takes `block` off the list.
    mutating func remove(_ block: Int) {
        precondition(member[block], "block \(block) is not idle")
        member[block] = false
        let p = previous[block]
        let n = next[block]
        if p >= 0 { next[p] = n } else { oldest = n }
        if n >= 0 { previous[n] = p } else { newest = p }
        count -= 1
    }

    /// Takes the least recently used block off the list, or nil when it is empty.
    mutating func popOldest() -> Int? {
        guard oldest >= 0 else { return nil }
        let block = oldest
        remove(block)
        return block
    }

    /// The blocks, oldest first.
    var inOrder: [Int] {
        var blocks: [Int] = []
        var b = oldest
        while b >= 0 {
            blocks.append(b)
            b = next[b]
        }
        return blocks
    }
}
