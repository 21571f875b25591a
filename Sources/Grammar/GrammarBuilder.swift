/// Builds a `Grammar` from rules written as alternatives of symbols, with helpers for optional and repeated parts
/// (which become right-recursive helper rules, so the automaton never loops).
public struct GrammarBuilder: Sendable {
    /// A rule being built.
    public struct Rule: Hashable, Sendable {
        /// The rule's index.
        public let index: Int32
    }

    /// One symbol of an alternative.
    public enum Symbol: Hashable, Sendable {
        /// One byte from the set.
        case bytes(ByteSet)
        /// These bytes, in order.
        case literal([UInt8])
        /// A rule.
        case rule(Rule)

        /// The UTF-8 bytes of `text`, in order.
        public static func text(_ text: String) -> Symbol { .literal(Array(text.utf8)) }
    }

    private var definitions: [[[Symbol]]?] = []
    private var names: [String] = []
    /// Helper rules already made, so the same optional or repeated part is one rule.
    private var made: [String: Rule] = [:]

    /// An empty builder.
    public init() {}

    /// Declares a rule (so that rules can refer to each other before they are defined).
    public mutating func declare(_ name: String) -> Rule {
        definitions.append(nil)
        names.append(name)
        return Rule(index: Int32(definitions.count - 1))
    }

    /// Gives a declared rule its alternatives (an empty alternative matches the empty string).
    public mutating func define(_ rule: Rule, _ alternatives: [[Symbol]]) {
        definitions[Int(rule.index)] = alternatives
    }

    /// Declares and defines a rule.
    public mutating func rule(_ name: String, _ alternatives: [[Symbol]]) -> Rule {
        let rule = declare(name)
        define(rule, alternatives)
        return rule
    }

    /// A rule matching `symbols` or nothing.
    public mutating func optional(_ symbols: [Symbol]) -> Symbol {
        cached("opt", symbols) { b, r in b.define(r, [symbols, []]) }
    }

    /// A rule matching `symbols` repeated any number of times (zero included).
    public mutating func zeroOrMore(_ symbols: [Symbol]) -> Symbol {
        cached("star", symbols) { b, r in b.define(r, [symbols + [.rule(r)], []]) }
    }

    /// `symbols` repeated between `minimum` and `maximum` times (no upper bound when nil), as symbols to splice into
    /// an alternative.
    public mutating func repeated(_ symbols: [Symbol], minimum: Int, maximum: Int?) -> [Symbol] {
        var out: [Symbol] = []
        for _ in 0..<minimum { out += symbols }
        guard let maximum else { return out + [zeroOrMore(symbols)] }
        // Up to `maximum - minimum` more: each optional copy holds the next one.
        var tail: Symbol? = nil
        for _ in 0..<max(0, maximum - minimum) {
            tail = optional(symbols + (tail.map { [$0] } ?? []))
        }
        return out + (tail.map { [$0] } ?? [])
    }

    /// A helper rule of `kind` for `symbols`, made once.
    private mutating func cached(
        _ kind: String, _ symbols: [Symbol], define: (inout GrammarBuilder, Rule) -> Void
    ) -> Symbol {
        let key = "\(kind)\(symbols)"
        if let rule = made[key] { return .rule(rule) }
        let rule = declare("\(kind)-\(definitions.count)")
        made[key] = rule
        define(&self, rule)
        return .rule(rule)
    }

    /// The grammar whose whole output is `root`.
    public func build(root: Rule) throws(GrammarError) -> Grammar {
        var elements: [Grammar.Element] = []
        var alternatives: [[Int32]] = []
        for (index, definition) in definitions.enumerated() {
            guard let definition else {
                throw GrammarError(.invalidGrammar, "rule '\(names[index])' is declared but never defined")
            }
            var starts: [Int32] = []
            for alternative in definition {
                starts.append(Int32(elements.count))
                for symbol in alternative {
                    switch symbol {
                    case .bytes(let set): elements.append(.bytes(set))
                    case .literal(let bytes): elements += bytes.map { .bytes(ByteSet(byte: $0)) }
                    case .rule(let rule): elements.append(.rule(rule.index))
                    }
                }
                elements.append(.end)
            }
            alternatives.append(starts)
        }
        return try Grammar(elements: elements, alternatives: alternatives, root: root.index)
    }
}
