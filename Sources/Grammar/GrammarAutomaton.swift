/// Runs a `Grammar` byte by byte as a set of parse stacks (as llama.cpp's grammar sampler does), with every distinct
/// stack set interned as a numbered state and every transition remembered, so that the grammar becomes, lazily, a
/// deterministic automaton: walking a token's bytes from a state costs one table lookup per byte once seen.
///
/// A stack lists positions in `grammar.elements`, innermost last; the last always points at a byte set to match
/// next. An empty stack means the root rule is complete. Not thread-safe: one automaton serves the sequences of one
/// worker thread.
public final class GrammarAutomaton {
    /// A state: an index into the interned stack sets.
    public typealias State = Int32

    /// The grammar run.
    public let grammar: Grammar
    private var stackSets: [[[Int32]]] = []
    private var index: [[[Int32]]: State] = [:]
    /// For each state, 256 next states by byte: -2 not yet computed, -1 no way on.
    private var transitions: [State] = []
    /// Stacks deeper than this are dropped (a grammar nesting this deep is a runaway, not an answer).
    public static let maximumDepth = 4096
    /// The most states one automaton makes (each takes 1 KiB of transitions); a byte that would need another is
    /// refused, so a pathological grammar ends its output instead of taking the worker's memory.
    public static let maximumStates = 16_384

    /// An automaton for `grammar`.
    public init(grammar: Grammar) {
        self.grammar = grammar
    }

    /// The state before any byte: the root rule's alternatives expanded.
    public lazy var start: State = {
        var stacks: [[Int32]] = []
        for alternative in grammar.alternatives[Int(grammar.root)] {
            expand(grammar.elements[Int(alternative)] == .end ? [] : [alternative], into: &stacks)
        }
        return intern(stacks)!  // the first state always fits
    }()

    /// Number of states found so far.
    public var stateCount: Int { stackSets.count }

    /// Whether the output may end in `state` (some stack has completed the root rule).
    public func isAccepting(_ state: State) -> Bool {
        stackSets[Int(state)].contains { $0.isEmpty }
    }

    /// Whether some byte may follow in `state`.
    public func canContinue(_ state: State) -> Bool {
        stackSets[Int(state)].contains { !$0.isEmpty }
    }

    /// The state after `byte`, or nil when the grammar does not allow it.
    @inline(__always)
    public func next(_ state: State, _ byte: UInt8) -> State? {
        let slot = Int(state) * 256 + Int(byte)
        let known = transitions[slot]
        if known >= 0 { return known }
        if known == -1 { return nil }
        let computed = advance(state, byte)
        // A refusal because the automaton is full is not remembered: it is not the grammar's.
        if computed != nil || !isFull { transitions[slot] = computed ?? -1 }
        return computed
    }

    /// The state after `bytes`, or nil when they leave the grammar.
    public func next(_ state: State, bytes: some Sequence<UInt8>) -> State? {
        var current = state
        for byte in bytes {
            guard let following = next(current, byte) else { return nil }
            current = following
        }
        return current
    }

    /// Every stack of `state` that can take `byte`, advanced past it and expanded.
    private func advance(_ state: State, _ byte: UInt8) -> State? {
        var stacks: [[Int32]] = []
        for stack in stackSets[Int(state)] {
            guard let top = stack.last, case .bytes(let set) = grammar.elements[Int(top)], set.contains(byte) else {
                continue
            }
            var moved = stack
            moved.removeLast()
            if grammar.elements[Int(top) + 1] != .end { moved.append(top + 1) }
            expand(moved, into: &stacks)
        }
        return stacks.isEmpty ? nil : intern(stacks)
    }

    /// Whether the automaton has made as many states as it may.
    public var isFull: Bool { stackSets.count >= Self.maximumStates }

    /// Expands `stack` until its top is a byte set (or it is empty), adding each result to `stacks`: a rule
    /// reference on top is replaced by each of the rule's alternatives, above what follows the reference.
    private func expand(_ stack: [Int32], into stacks: inout [[Int32]]) {
        guard let top = stack.last else {
            stacks.append(stack)
            return
        }
        switch grammar.elements[Int(top)] {
        case .bytes:
            stacks.append(stack)
        case .end:
            // Only reached for a stack whose alternative ended; the frame is done.
            expand(Array(stack.dropLast()), into: &stacks)
        case .rule(let rule):
            guard stack.count < Self.maximumDepth else { return }
            var base = stack
            base.removeLast()
            if grammar.elements[Int(top) + 1] != .end { base.append(top + 1) }
            for alternative in grammar.alternatives[Int(rule)] {
                if grammar.elements[Int(alternative)] == .end {
                    expand(base, into: &stacks)
                } else {
                    expand(base + [alternative], into: &stacks)
                }
            }
        }
    }

    /// The state for `stacks` (duplicates removed, order made canonical), made when new; nil when the automaton is
    /// full.
    private func intern(_ stacks: [[Int32]]) -> State? {
        let canonical = Array(Set(stacks)).sorted { $0.lexicographicallyPrecedes($1) }
        if let known = index[canonical] { return known }
        guard !isFull else { return nil }
        let state = State(stackSets.count)
        stackSets.append(canonical)
        index[canonical] = state
        transitions += [State](repeating: -2, count: 256)
        return state
    }
}
