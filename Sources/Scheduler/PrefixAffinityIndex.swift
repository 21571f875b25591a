/// The scheduler's picture of the prefixes one worker holds in cached KV blocks: the chain hashes
/// (`Basics.PrefixHash`) of the prompts it admitted and of the sequences that ended there, with when each was last
/// seen. It is a guess (the worker may have evicted a block since), good enough to place a request where most of its
/// prompt is likely cached; the worker's own index decides what is reused.
struct PrefixAffinityIndex: Sendable {
    private var lastSeen: [UInt64: Duration] = [:]
    /// The most hashes kept (the worker's KV blocks in all); past twice that, the older half is forgotten.
    var capacity: Int

    /// An empty index of at most `capacity` hashes.
    init(capacity: Int = 0) { self.capacity = capacity }

    /// Hashes held.
    var count: Int { lastSeen.count }

    /// Notes that the worker holds the blocks of `hashes`, seen at `now`.
    mutating func insert(_ hashes: some Sequence<UInt64>, at now: Duration) {
        for hash in hashes { lastSeen[hash] = now }
        if lastSeen.count > 2 * max(1, capacity) {
            let newest = lastSeen.sorted { $0.value > $1.value }.prefix(max(1, capacity))
            lastSeen = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
        }
    }

    /// How many of the leading blocks of `chain` the worker is thought to hold.
    func matchedBlocks(_ chain: [UInt64]) -> Int {
        var matched = 0
        for hash in chain {
            guard lastSeen[hash] != nil else { break }
            matched += 1
        }
        return matched
    }
}
