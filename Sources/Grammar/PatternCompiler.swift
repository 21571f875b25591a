/// Compiles a JSON Schema `pattern` (the common regular-expression subset) into grammar symbols for the inside of a
/// JSON string: every match of the pattern, written as JSON string characters (`"` and `\` escaped).
///
/// Supported: literals, `.`, escapes (`\d \w \s \D \W \S`, escaped punctuation, `\n \t \r`), classes `[…]` with
/// ranges and negation, groups `(…)` and `(?:…)`, `|`, and the quantifiers `* + ? {n} {n,} {n,m}` (a lazy `?`
/// after one is accepted and means nothing here). `^` and `$` are accepted at the ends only. The output is one whole
/// match, which satisfies the pattern whether or not it is anchored. Back-references, look-arounds, `\b` and
/// Unicode classes are refused with an error that names them.
struct PatternCompiler {
    private let pattern: [Character]
    private var at = 0
    private var builder: GrammarBuilder

    /// A set of characters: ASCII ones as bytes, plus (for negated classes and `.`) every non-ASCII character.
    struct CharacterSet {
        var ascii = ByteSet()
        var nonASCII = false
        /// Whether `\d`, `\w` or `\s` (or a negation) went into it: their Unicode meaning in other engines (Python's
        /// `re` counts Arabic digits and U+00A0 in them) makes "every non-ASCII character" unsafe in a negation.
        var shorthand = false
    }

    /// Compiles `pattern` with `builder`'s rules; returns the symbols and the builder.
    static func compile(_ pattern: String, builder: GrammarBuilder) throws(GrammarError) -> (
        [GrammarBuilder.Symbol], GrammarBuilder
    ) {
        var compiler = PatternCompiler(pattern: Array(pattern), builder: builder)
        if compiler.peek == "^" { compiler.at += 1 }
        let symbols = try compiler.alternation()
        guard compiler.at == compiler.pattern.count else { throw compiler.unsupported("unbalanced ')'") }
        return (symbols, compiler.builder)
    }

    private init(pattern: [Character], builder: GrammarBuilder) {
        self.pattern = pattern
        self.builder = builder
    }

    private var peek: Character? { at < pattern.count ? pattern[at] : nil }

    private func unsupported(_ what: String) -> GrammarError {
        GrammarError(.unsupportedSchema, "pattern '\(String(pattern))': \(what) is not supported")
    }

    /// `a|b|…` up to a `)` or the end.
    private mutating func alternation() throws(GrammarError) -> [GrammarBuilder.Symbol] {
        var branches: [[GrammarBuilder.Symbol]] = [try sequence()]
        while peek == "|" {
            at += 1
            branches.append(try sequence())
        }
        if branches.count == 1 { return branches[0] }
        return [.rule(builder.rule("pattern-alt", branches))]
    }

    /// Quantified atoms up to `|`, `)` or the end.
    private mutating func sequence() throws(GrammarError) -> [GrammarBuilder.Symbol] {
        var out: [GrammarBuilder.Symbol] = []
        while let c = peek, c != "|", c != ")" {
            if c == "$" && at == pattern.count - 1 {
                at += 1
                break
            }
            let atom = try self.atom()
            out += try quantified(atom)
        }
        return out
    }

    /// `atom` with the quantifier that follows it, if any.
    private mutating func quantified(_ atom: [GrammarBuilder.Symbol]) throws(GrammarError) -> [GrammarBuilder.Symbol] {
        var minimum = 1
        var maximum: Int? = 1
        switch peek {
        case "*": (minimum, maximum) = (0, nil); at += 1
        case "+": (minimum, maximum) = (1, nil); at += 1
        case "?": (minimum, maximum) = (0, 1); at += 1
        case "{":
            let start = at
            at += 1
            var text = ""
            while let c = peek, c != "}" {
                text.append(c)
                at += 1
            }
            guard peek == "}" else { throw unsupported("'{' without '}'") }
            at += 1
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard let low = Int(parts[0]), parts.count <= 2 else {
                at = start
                throw unsupported("the quantifier '{\(text)}'")
            }
            minimum = low
            maximum = parts.count == 1 ? low : (parts[1].isEmpty ? nil : Int(parts[1]))
            guard parts.count == 1 || parts[1].isEmpty || maximum != nil, maximum.map({ $0 >= low }) ?? true,
                low <= 1000, (maximum ?? 0) <= 1000
            else { throw unsupported("the quantifier '{\(text)}'") }
        default: return atom
        }
        if peek == "?" { at += 1 }  // lazy: the same set of matches
        if peek == "+" { throw unsupported("a possessive quantifier") }
        return builder.repeated(atom, minimum: minimum, maximum: maximum)
    }

    /// One literal, class, escape or group.
    private mutating func atom() throws(GrammarError) -> [GrammarBuilder.Symbol] {
        guard let c = peek else { throw unsupported("an unexpected end") }
        at += 1
        switch c {
        case "(":
            if peek == "?" {
                guard at + 1 < pattern.count, pattern[at + 1] == ":" else {
                    throw unsupported("'(?' groups other than '(?:'")
                }
                at += 2
            }
            let inner = try alternation()
            guard peek == ")" else { throw unsupported("'(' without ')'") }
            at += 1
            return [.rule(builder.rule("pattern-group", [inner]))]
        case "[": return characters(try characterClass())
        case ".":
            var set = CharacterSet(ascii: ByteSet(0x00...0x7F), nonASCII: true)
            set.ascii.remove(0x0A)
            return characters(set)
        case "\\": return characters(try escape(inClass: false))
        case "*", "+", "?", "{": throw unsupported("a quantifier with nothing before it")
        case "^", "$": throw unsupported("'\(c)' other than at the ends")
        default:
            if c.isASCII { return characters(CharacterSet(ascii: ByteSet(byte: c.asciiValue!))) }
            return [.literal(Array(String(c).utf8))]
        }
    }

    /// `[…]` after its `[`.
    private mutating func characterClass() throws(GrammarError) -> CharacterSet {
        var set = CharacterSet()
        let negated = peek == "^"
        if negated { at += 1 }
        var first = true
        while let c = peek, c != "]" || first {
            first = false
            at += 1
            var item: CharacterSet
            if c == "\\" {
                item = try escape(inClass: true)
            } else if c == "[" && peek == ":" {
                throw unsupported("POSIX classes")
            } else {
                guard c.isASCII else { throw unsupported("non-ASCII characters in a class") }
                item = CharacterSet(ascii: ByteSet(byte: c.asciiValue!))
            }
            // A range `a-z` (a `-` first or last is a literal).
            if peek == "-", at + 1 < pattern.count, pattern[at + 1] != "]", let low = item.ascii.members.first,
                item.ascii.members.count == 1, !item.nonASCII
            {
                at += 1
                var high = pattern[at]
                at += 1
                if high == "\\" {
                    let escaped = try escape(inClass: true)
                    guard escaped.ascii.members.count == 1, !escaped.nonASCII else {
                        throw unsupported("a class as a range's end")
                    }
                    high = Character(Unicode.Scalar(escaped.ascii.members[0]))
                }
                guard high.isASCII, let h = high.asciiValue, h >= low else {
                    throw unsupported("the range '\(Character(Unicode.Scalar(low)))-\(high)'")
                }
                item.ascii.insert(low...h)
            }
            set.ascii = set.ascii.union(item.ascii)
            set.nonASCII = set.nonASCII || item.nonASCII
            set.shorthand = set.shorthand || item.shorthand
        }
        guard peek == "]" else { throw unsupported("'[' without ']'") }
        at += 1
        if negated {
            return CharacterSet(
                ascii: set.ascii.inverted.intersection(ByteSet(0x00...0x7F)), nonASCII: !set.nonASCII && !set.shorthand)
        }
        return set
    }

    /// The character set of an escape after its `\`.
    private mutating func escape(inClass: Bool) throws(GrammarError) -> CharacterSet {
        guard let c = peek else { throw unsupported("a trailing '\\'") }
        at += 1
        let digits = ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9"))
        let word = digits.union(ByteSet(UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z")))
            .union(ByteSet(anyOf: "_"))
        let space = ByteSet(anyOf: " \t\n\r\u{0B}\u{0C}")
        let ascii = ByteSet(0x00...0x7F)
        switch c {
        // Only ASCII members, so a match is one under any engine's Unicode rules.
        case "d": return CharacterSet(ascii: digits, shorthand: true)
        case "w": return CharacterSet(ascii: word, shorthand: true)
        case "s": return CharacterSet(ascii: space, shorthand: true)
        case "D": return CharacterSet(ascii: digits.inverted.intersection(ascii), shorthand: true)
        case "W": return CharacterSet(ascii: word.inverted.intersection(ascii), shorthand: true)
        case "S": return CharacterSet(ascii: space.inverted.intersection(ascii), shorthand: true)
        case "n": return CharacterSet(ascii: ByteSet(byte: 0x0A))
        case "t": return CharacterSet(ascii: ByteSet(byte: 0x09))
        case "r": return CharacterSet(ascii: ByteSet(byte: 0x0D))
        case "b" where !inClass, "B": throw unsupported("the word boundary '\\\(c)'")
        case "1"..."9": throw unsupported("back-references")
        case "p", "P": throw unsupported("Unicode classes")
        default:
            guard c.isASCII, !c.isLetter, !c.isNumber else { throw unsupported("the escape '\\\(c)'") }
            return CharacterSet(ascii: ByteSet(byte: c.asciiValue!))
        }
    }

    /// Symbols for one character of `set`, written as JSON string characters.
    private mutating func characters(_ set: CharacterSet) -> [GrammarBuilder.Symbol] {
        var plain = set.ascii.intersection(ByteSet(0x20...0x7E))
        var alternatives: [[GrammarBuilder.Symbol]] = []
        for (byte, escaped) in [
            (UInt8(ascii: "\""), "\\\""), (UInt8(ascii: "\\"), "\\\\"), (0x0A, "\\n"), (0x09, "\\t"), (0x0D, "\\r"),
        ]
        where set.ascii.contains(byte) {
            plain.remove(byte)
            alternatives.append([.text(escaped)])
        }
        if !plain.isEmpty { alternatives.insert([.bytes(plain)], at: 0) }
        if set.nonASCII { alternatives += JSONGrammarRules.utf8MultiByte }
        if alternatives.count == 1 { return alternatives[0] }
        return [.rule(builder.rule("pattern-char", alternatives))]
    }
}

extension ByteSet {
    /// The bytes in both sets.
    public func intersection(_ other: ByteSet) -> ByteSet { inverted.union(other.inverted).inverted }
}
