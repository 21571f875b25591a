/// The content address of a full KV block: a 64-bit hash chained over the blocks before it, so that equal hashes
/// mean equal token prefixes (up to a 2⁻⁶⁴ collision, which the engine rules out by comparing the tokens). The
/// worker's cache and the scheduler's placement compute it the same way, which is why it lives here.
public enum PrefixHash {
    /// The parent hash of a sequence's first block.
    public static let root: UInt64 = 0x6261_7463_6867_6174

    /// The hash of a block holding `tokens` whose parent block's hash is `parent`.
    @inlinable
    public static func block(parent: UInt64, tokens: some Collection<Int32>) -> UInt64 {
        var h = mix(parent ^ 0x9E37_79B9_7F4A_7C15 &* UInt64(tokens.count &+ 1))
        for token in tokens { h = mix(h ^ UInt64(UInt32(bitPattern: token))) }
        return h
    }

    /// The hashes of the full blocks of `tokens` in blocks of `blockSize`, at most `limit` of them.
    public static func chain(_ tokens: [Int32], blockSize: Int, limit: Int = .max) -> [UInt64] {
        guard blockSize > 0 else { return [] }
        let count = min(limit, tokens.count / blockSize)
        var hashes: [UInt64] = []
        hashes.reserveCapacity(count)
        var parent = root
        for b in 0..<count {
            parent = block(parent: parent, tokens: tokens[(b * blockSize)..<((b + 1) * blockSize)])
            hashes.append(parent)
        }
        return hashes
    }

    /// SplitMix64's finaliser: every input bit moves about half the output bits.
    @inlinable
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
