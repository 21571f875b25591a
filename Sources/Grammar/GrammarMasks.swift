/// One grammar over one vocabulary: the allowed-token mask of every automaton state a sequence reaches, computed
/// once and kept, and the state after each sampled token. End-of-generation tokens are allowed exactly where the
/// grammar may end.
public final class GrammarMasks {
    /// The grammar's automaton.
    public let automaton: GrammarAutomaton
    /// The vocabulary's bytes as a trie.
    public let trie: TokenTrie
    private let tokenBytes: [[UInt8]]
    private let endTokens: [Int32]
    private var cache: [GrammarAutomaton.State: TokenMask] = [:]
    private var cached: [GrammarAutomaton.State] = []
    /// Masks kept at most (each is a bit per token: 19 KiB for a 152k vocabulary); the oldest goes first.
    public static let cacheCapacity = 512

    /// Masks for `grammar` over a vocabulary whose token `id` decodes to `tokenBytes[id]` (empty for control tokens),
    /// sharing `trie` (built once per vocabulary from the same bytes); `endTokens` end a generation.
    public init(grammar: Grammar, trie: TokenTrie, tokenBytes: [[UInt8]], endTokens: [Int32]) {
        automaton = GrammarAutomaton(grammar: grammar)
        self.trie = trie
        self.tokenBytes = tokenBytes
        self.endTokens = endTokens
    }

    /// The state before any output.
    public var start: GrammarAutomaton.State { automaton.start }

    /// The tokens allowed in `state` (end tokens when the grammar may end there).
    public func mask(for state: GrammarAutomaton.State) -> TokenMask {
        if let known = cache[state] { return known }
        var mask = trie.allowedTokens(from: state, in: automaton)
        if automaton.isAccepting(state) {
            for id in endTokens where Int(id) < mask.count { mask.insert(Int(id)) }
        }
        if cached.count == Self.cacheCapacity { cache.removeValue(forKey: cached.removeFirst()) }
        cached.append(state)
        cache[state] = mask
        return mask
    }

    /// The state after `token`, or nil when the grammar does not allow it there (an end token is allowed only
    /// where the grammar may end, and leaves the state as it is).
    public func advance(_ state: GrammarAutomaton.State, token: Int32) -> GrammarAutomaton.State? {
        if endTokens.contains(token) { return automaton.isAccepting(state) ? state : nil }
        guard tokenBytes.indices.contains(Int(token)), !tokenBytes[Int(token)].isEmpty else { return nil }
        return automaton.next(state, bytes: tokenBytes[Int(token)])
    }

    /// The state after `tokens` from the start (for a sequence recomputed after preemption or a worker restart), or
    /// nil when they do not follow the grammar.
    public func state(after tokens: [Int32]) -> GrammarAutomaton.State? {
        var state = start
        for token in tokens {
            guard let next = advance(state, token: token) else { return nil }
            state = next
        }
        return state
    }

    /// Whether nothing but an end token can follow `state`: the output is complete.
    public func isComplete(_ state: GrammarAutomaton.State) -> Bool {
        automaton.isAccepting(state) && !automaton.canContinue(state)
    }
}
