import Grammar

/// Random complete outputs of a grammar, made by walking its automaton: a random allowed byte at each step, ending
/// with some chance wherever the grammar may end, and after `budget` bytes by the shortest way to an end (found by
/// breadth-first search), so every walk finishes.
struct RandomOutputs {
    let automaton: GrammarAutomaton
    var state: UInt64

    init(_ grammar: Grammar, seed: UInt64) {
        automaton = GrammarAutomaton(grammar: grammar)
        state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    }

    /// A pseudo-random number below `bound`.
    mutating func below(_ bound: Int) -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % UInt64(bound))
    }

    /// The bytes the automaton allows in `from`, with their next states.
    func moves(_ from: GrammarAutomaton.State) -> [(UInt8, GrammarAutomaton.State)] {
        (0...255).compactMap { byte in automaton.next(from, UInt8(byte)).map { (UInt8(byte), $0) } }
    }

    /// One output, or nil when no end can be reached within `searchLimit` states.
    mutating func output(budget: Int = 200, searchLimit: Int = 200_000) -> [UInt8]? {
        var current = automaton.start
        var out: [UInt8] = []
        while out.count < budget {
            if automaton.isAccepting(current) && (below(4) == 0 || !automaton.canContinue(current)) { return out }
            let options = moves(current)
            guard !options.isEmpty else { return automaton.isAccepting(current) ? out : nil }
            let (byte, next) = options[below(options.count)]
            out.append(byte)
            current = next
        }
        // The shortest completion.
        var parent: [GrammarAutomaton.State: (GrammarAutomaton.State, UInt8)] = [:]
        var queue = [current]
        var head = 0
        var seen: Set<GrammarAutomaton.State> = [current]
        while head < queue.count, seen.count < searchLimit {
            let s = queue[head]
            head += 1
            if automaton.isAccepting(s) {
                var tail: [UInt8] = []
                var at = s
                while at != current, let (previous, byte) = parent[at] {
                    tail.append(byte)
                    at = previous
                }
                return out + tail.reversed()
            }
            for (byte, next) in moves(s) where seen.insert(next).inserted {
                parent[next] = (s, byte)
                queue.append(next)
            }
        }
        return nil
    }
}
