import Testing

@testable import Grammar

/// The automaton and the token masks on small grammars, where every answer can be worked out by hand.
@Suite("Grammar automaton")
struct GrammarAutomatonTests {
    /// `"a" ("b" | "cd")* "!"`.
    static func small() throws -> Grammar {
        var b = GrammarBuilder()
        let tail = b.zeroOrMore([.bytes(ByteSet(anyOf: "b"))])
        let cd = b.rule("cd", [[.text("cd")]])
        let loop = b.zeroOrMore([.rule(cd)])
        let root = b.rule("root", [[.text("a"), tail, loop, .text("!")]])
        return try b.build(root: root)
    }

    /// Whether the automaton accepts `text` as a whole output.
    static func accepts(_ automaton: GrammarAutomaton, _ text: String) -> Bool {
        guard let state = automaton.next(automaton.start, bytes: Array(text.utf8)) else { return false }
        return automaton.isAccepting(state)
    }

    @Test("accepts exactly the strings of its grammar")
    func acceptance() throws {
        let automaton = GrammarAutomaton(grammar: try Self.small())
        for good in ["a!", "ab!", "abbb!", "acd!", "abcdcd!"] { #expect(Self.accepts(automaton, good), "\(good)") }
        for bad in ["", "a", "b!", "ac!", "acdb!", "a!!", "abx!"] { #expect(!Self.accepts(automaton, bad), "\(bad)") }
        // A prefix is alive but not accepting.
        let prefix = try #require(automaton.next(automaton.start, bytes: Array("abc".utf8)))
        #expect(!automaton.isAccepting(prefix) && automaton.canContinue(prefix))
        // The same stack set is the same state: "ab" and "abb" can continue identically.
        #expect(
            automaton.next(automaton.start, bytes: Array("ab".utf8))
                == automaton.next(automaton.start, bytes: Array("abb".utf8)))
    }

    @Test("left recursion and undefined rules are refused when the grammar is built")
    func refusals() {
        var b = GrammarBuilder()
        let list = b.declare("list")
        b.define(list, [[.rule(list), .text("x")], [.text("x")]])
        #expect(throws: GrammarError.self) { try b.build(root: list) }
        var c = GrammarBuilder()
        let undefined = c.declare("never")
        let root = c.rule("root", [[.rule(undefined)]])
        #expect(throws: GrammarError.self) { try c.build(root: root) }
    }

    @Test("the token mask allows exactly the tokens whose bytes the grammar can read next, and end tokens at the end")
    func masks() throws {
        let tokens: [[UInt8]] = ["a", "ab", "b", "cd", "c", "d", "!", "b!", "x", "", "cdcd"].map { Array($0.utf8) }
        let trie = TokenTrie(tokens: tokens)
        let masks = GrammarMasks(grammar: try Self.small(), trie: trie, tokenBytes: tokens, endTokens: [9])
        func allowed(after text: String) throws -> [Int] {
            let state = try #require(masks.automaton.next(masks.start, bytes: Array(text.utf8)))
            let mask = masks.mask(for: state)
            return (0..<tokens.count).filter { mask.contains($0) }
        }
        #expect(try allowed(after: "") == [0, 1])
        #expect(try allowed(after: "a") == [2, 3, 4, 6, 7, 10])
        #expect(try allowed(after: "ac") == [5])
        #expect(try allowed(after: "a!") == [9], "only the end token once the output is complete")
        #expect(masks.isComplete(try #require(masks.automaton.next(masks.start, bytes: Array("a!".utf8)))))
        // Advancing by tokens, and refusing one the grammar does not allow.
        let state = try #require(masks.state(after: [1, 3, 6]))
        #expect(masks.automaton.isAccepting(state))
        #expect(masks.state(after: [0, 8]) == nil)
        #expect(masks.advance(masks.start, token: 9) == nil, "no end before the grammar is complete")
    }

    @Test("a mask sets every refused logit to -infinity and leaves the rest")
    func applyMask() {
        var mask = TokenMask(count: 70)
        mask.insert(3)
        mask.insert(65)
        var logits = [Float](repeating: 1, count: 70)
        logits.withUnsafeMutableBufferPointer { mask.apply(to: $0) }
        #expect(logits.indices.filter { logits[$0] == 1 } == [3, 65])
        #expect(logits.filter { $0 == -.infinity }.count == 68)
        #expect(mask.allowedCount == 2)
    }

    @Test("an automaton stops making states at its limit: the output ends rather than the memory")
    func stateLimit() throws {
        var b = GrammarBuilder()
        let root = b.rule("root", [b.repeated([.text("a")], minimum: 20_000, maximum: 20_000)])
        let automaton = GrammarAutomaton(grammar: try b.build(root: root))
        var state = automaton.start
        var read = 0
        while let next = automaton.next(state, UInt8(ascii: "a")) {
            state = next
            read += 1
        }
        #expect(read == GrammarAutomaton.maximumStates - 1)
        #expect(automaton.isFull && automaton.stateCount == GrammarAutomaton.maximumStates)
        #expect(throws: GrammarError.self) {
            try JSONSchemaCompiler.compile(schemaText: #"{"type": "string", "minLength": 20000}"#)
        }
    }
}
