/// A context-free grammar over bytes: rules of alternatives, each alternative a sequence of byte sets and rule
/// references. It is what structured output compiles to (JSON, a JSON Schema) and what `GrammarAutomaton` runs.
///
/// Stored flat, as the automaton reads it: every alternative is a run of `elements` ended by `.end`, and a rule is
/// the list of its alternatives' first positions. Build one with `GrammarBuilder`.
public struct Grammar: Sendable, Equatable {
    /// One position of an alternative.
    public enum Element: Hashable, Sendable {
        /// One byte from the set.
        case bytes(ByteSet)
        /// The rule with this index.
        case rule(Int32)
        /// The end of an alternative.
        case end
    }

    /// Every alternative's elements, one run after another, each ended by `.end`.
    public let elements: [Element]
    /// For each rule, the position in `elements` where each of its alternatives starts.
    public let alternatives: [[Int32]]
    /// The rule a whole output must match.
    public let root: Int32

    /// Checks the parts and refuses a grammar the automaton could not run: a reference to a missing rule, a rule
    /// without alternatives, or left recursion (a rule that can reach itself before reading a byte).
    init(elements: [Element], alternatives: [[Int32]], root: Int32) throws(GrammarError) {
        self.elements = elements
        self.alternatives = alternatives
        self.root = root
        guard alternatives.indices.contains(Int(root)) else {
            throw GrammarError(.invalidGrammar, "the root rule \(root) does not exist")
        }
        for (index, starts) in alternatives.enumerated() where starts.isEmpty {
            throw GrammarError(.invalidGrammar, "rule \(index) has no alternatives")
        }
        for element in elements {
            if case .rule(let r) = element, !alternatives.indices.contains(Int(r)) {
                throw GrammarError(.invalidGrammar, "a reference to rule \(r), which does not exist")
            }
        }
        try checkLeftRecursion()
    }

    /// Rules that can match the empty string.
    func nullableRules() -> [Bool] {
        var nullable = [Bool](repeating: false, count: alternatives.count)
        var changed = true
        while changed {
            changed = false
            for rule in alternatives.indices where !nullable[rule] {
                for start in alternatives[rule] where allNullable(from: Int(start), nullable) {
                    nullable[rule] = true
                    changed = true
                    break
                }
            }
        }
        return nullable
    }

    /// Whether the alternative run starting at `position` can match the empty string.
    private func allNullable(from position: Int, _ nullable: [Bool]) -> Bool {
        var p = position
        while true {
            switch elements[p] {
            case .end: return true
            case .bytes: return false
            case .rule(let r): if !nullable[Int(r)] { return false }
            }
            p += 1
        }
    }

    /// Throws when some rule can reach itself through rule references at the start of alternatives (after nullable
    /// rules only): the automaton's expansion would never end.
    private func checkLeftRecursion() throws(GrammarError) {
        let nullable = nullableRules()
        // first[r]: rules that can appear first in r's alternatives.
        var first = [[Int]](repeating: [], count: alternatives.count)
        for rule in alternatives.indices {
            for start in alternatives[rule] {
                var p = Int(start)
                loop: while true {
                    switch elements[p] {
                    case .rule(let r):
                        first[rule].append(Int(r))
                        if !nullable[Int(r)] { break loop }
                    case .bytes, .end: break loop
                    }
                    p += 1
                }
            }
        }
        // Depth-first search for a cycle.
        var mark = [UInt8](repeating: 0, count: alternatives.count)  // 0 new, 1 on the path, 2 done
        for start in alternatives.indices where mark[start] == 0 {
            var path: [(rule: Int, next: Int)] = [(start, 0)]
            mark[start] = 1
            while let top = path.last {
                if top.next == first[top.rule].count {
                    mark[top.rule] = 2
                    path.removeLast()
                    continue
                }
                path[path.count - 1].next += 1
                let child = first[top.rule][top.next]
                if mark[child] == 1 {
                    throw GrammarError(.invalidGrammar, "rule \(child) is left-recursive")
                }
                if mark[child] == 0 {
                    mark[child] = 1
                    path.append((child, 0))
                }
            }
        }
    }
}

/// Why a grammar or a schema could not be compiled.
public struct GrammarError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of problem.
    public enum Code: String, Sendable {
        /// The grammar's own structure is broken (a compiler bug or a recursive schema that reads nothing).
        case invalidGrammar = "invalid_grammar"
        /// The schema is not valid JSON or not a JSON Schema.
        case invalidSchema = "invalid_schema"
        /// The schema uses a keyword or a form Batchgate does not enforce (the message names it).
        case unsupportedSchema = "unsupported_schema"
    }

    /// The kind.
    public let code: Code
    /// A message for the client, naming what was wrong.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
