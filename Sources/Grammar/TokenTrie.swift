/// The vocabulary's tokens as a trie of their bytes, so that the tokens a grammar state allows are found in one walk
/// that shares every common prefix (and drops a whole subtree at the first byte the grammar refuses).
public struct TokenTrie: Sendable {
    /// Number of token ids (the mask length).
    public let vocabularySize: Int
    /// Per node: the first of its children in `childBytes`/`childNodes`, and how many it has.
    private var firstChild: [Int32] = [0]
    private var childCount: [Int32] = [0]
    private var childBytes: [UInt8] = []
    private var childNodes: [Int32] = []
    /// Per node: the range of `endingTokens` that end exactly there.
    private var firstEnding: [Int32] = [0]
    private var endingCount: [Int32] = [0]
    private var endingTokens: [Int32] = []

    /// A trie of `tokens[id]`'s bytes; tokens with no bytes (control tokens, which a grammar never allows) are left
    /// out.
    public init(tokens: [[UInt8]]) {
        vocabularySize = tokens.count
        // Sorting the ids by their bytes puts every node's tokens and children next to each other.
        let order = tokens.indices.filter { !tokens[$0].isEmpty }.sorted {
            tokens[$0].lexicographicallyPrecedes(tokens[$1])
        }
        // Build with temporary child maps, then flatten.
        var children: [[(UInt8, Int32)]] = [[]]
        var endings: [[Int32]] = [[]]
        for id in order {
            var node = 0
            for byte in tokens[id] {
                if let last = children[node].last, last.0 == byte {
                    node = Int(last.1)
                } else {
                    children.append([])
                    endings.append([])
                    children[node].append((byte, Int32(children.count - 1)))
                    node = children.count - 1
                }
            }
            endings[node].append(Int32(id))
        }
        firstChild = []
        childCount = []
        firstEnding = []
        endingCount = []
        for node in children.indices {
            firstChild.append(Int32(childBytes.count))
            childCount.append(Int32(children[node].count))
            for (byte, child) in children[node] {
                childBytes.append(byte)
                childNodes.append(child)
            }
            firstEnding.append(Int32(endingTokens.count))
            endingCount.append(Int32(endings[node].count))
            endingTokens += endings[node]
        }
    }

    /// The tokens whose whole byte string the automaton can read from `state`, as a bitmask.
    public func allowedTokens(from state: GrammarAutomaton.State, in automaton: GrammarAutomaton) -> TokenMask {
        var mask = TokenMask(count: vocabularySize)
        var work: [(node: Int32, state: GrammarAutomaton.State)] = [(0, state)]
        while let (node, current) = work.popLast() {
            let first = Int(firstChild[Int(node)])
            for c in first..<(first + Int(childCount[Int(node)])) {
                guard let following = automaton.next(current, childBytes[c]) else { continue }
                let child = childNodes[c]
                let ending = Int(firstEnding[Int(child)])
                for e in ending..<(ending + Int(endingCount[Int(child)])) { mask.insert(Int(endingTokens[e])) }
                if childCount[Int(child)] > 0 { work.append((child, following)) }
            }
        }
        return mask
    }
}

/// A set of token ids as bits, applied to logits before sampling.
public struct TokenMask: Sendable, Equatable {
    /// 64 ids per word.
    public private(set) var words: [UInt64]
    /// Number of ids.
    public let count: Int

    /// An empty mask for `count` ids.
    public init(count: Int) {
        self.count = count
        words = [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    /// Allows `id`.
    @inline(__always)
    public mutating func insert(_ id: Int) { words[id >> 6] |= 1 << UInt64(id & 63) }

    /// Whether `id` is allowed.
    @inline(__always)
    public func contains(_ id: Int) -> Bool { words[id >> 6] & (1 << UInt64(id & 63)) != 0 }

    /// Number of allowed ids.
    public var allowedCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Sets every logit whose id is not allowed to -infinity.
    public func apply(to logits: UnsafeMutableBufferPointer<Float>) {
        precondition(logits.count >= count, "one logit per id")
        for (w, word) in words.enumerated() where word != .max {
            let base = w * 64
            for bit in 0..<min(64, count - base) where word & (1 << UInt64(bit)) == 0 {
                logits[base + bit] = -.infinity
            }
        }
    }
}
