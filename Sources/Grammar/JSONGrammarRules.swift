/// The pieces of JSON text every JSON grammar shares, added to a `GrammarBuilder` once: whitespace, string
/// characters, numbers and any value.
///
/// Whitespace between tokens is limited as llama.cpp limits it (nothing, one space, or one or two newlines with up to
/// 20 spaces or tabs), so a model cannot fill its output with blank lines; numbers have at most 16 integer digits.
struct JSONGrammarRules {
    /// Optional whitespace after a token.
    let space: GrammarBuilder.Symbol
    /// One character inside a string: any UTF-8 character but `"`, `\` and control characters, or an escape.
    let character: GrammarBuilder.Symbol
    /// A whole string, with its quotes and the space after it.
    let string: GrammarBuilder.Symbol
    /// A number (JSON's syntax, at most 16 integer digits) and the space after it.
    let number: GrammarBuilder.Symbol
    /// An integer and the space after it.
    let integer: GrammarBuilder.Symbol
    /// Any JSON value and the space after it.
    let value: GrammarBuilder.Symbol
    /// Any JSON object and the space after it.
    let object: GrammarBuilder.Symbol

    /// Digits 0-9.
    static let digit = GrammarBuilder.Symbol.bytes(ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9")))
    /// Digits 1-9.
    static let nonZeroDigit = GrammarBuilder.Symbol.bytes(ByteSet(UInt8(ascii: "1")...UInt8(ascii: "9")))
    /// A hexadecimal digit.
    static let hexDigit = GrammarBuilder.Symbol.bytes(
        ByteSet(
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "A")...UInt8(ascii: "F")))

    /// Adds the rules to `b`.
    init(_ b: inout GrammarBuilder) {
        let tabs = ByteSet(anyOf: " \t")
        let indent = b.repeated([.bytes(tabs)], minimum: 0, maximum: 20)
        let newline = GrammarBuilder.Symbol.text("\n")
        space = .rule(b.rule("space", [[], [.text(" ")], [newline] + indent, [newline, newline] + indent]))
        character = .rule(b.rule("char", Self.characterAlternatives(excluding: ByteSet())))
        let characters = b.zeroOrMore([character])
        string = .rule(b.rule("string", [[.text("\""), characters, .text("\""), space]]))
        let integral = [Self.nonZeroDigit] + b.repeated([Self.digit], minimum: 0, maximum: 15)
        let integerText = b.rule(
            "integer-text", [[b.optional([.text("-")]), .text("0")], [b.optional([.text("-")])] + integral])
        let fraction = b.optional([.text(".")] + b.repeated([Self.digit], minimum: 1, maximum: nil))
        let exponent = b.optional(
            [.bytes(ByteSet(anyOf: "eE")), b.optional([.bytes(ByteSet(anyOf: "+-"))])]
                + b.repeated([Self.digit], minimum: 1, maximum: nil))
        number = .rule(b.rule("number", [[.rule(integerText), fraction, exponent, space]]))
        integer = .rule(b.rule("integer", [[.rule(integerText), space]]))
        let value = b.declare("value")
        let member = [string, .text(":"), space, .rule(value)]
        let members = b.optional(member + [b.zeroOrMore([.text(","), space] + member)])
        object = .rule(b.rule("object", [[.text("{"), space, members, .text("}"), space]]))
        let elements = b.optional([.rule(value), b.zeroOrMore([.text(","), space, .rule(value)])])
        let array = b.rule("array", [[.text("["), space, elements, .text("]"), space]])
        b.define(
            value,
            [
                [object], [.rule(array)], [string], [number], [.text("true"), space], [.text("false"), space],
                [.text("null"), space],
            ])
        self.value = .rule(value)
    }

    /// A string character as alternatives: an unescaped UTF-8 character that is none of `excluding` (ASCII bytes)
    /// and not `"`, `\` or a control character, or an escape sequence.
    static func characterAlternatives(excluding: ByteSet) -> [[GrammarBuilder.Symbol]] {
        var ascii = ByteSet(0x20...0x7F)
        ascii.remove(UInt8(ascii: "\""))
        ascii.remove(UInt8(ascii: "\\"))
        ascii.remove(0x7F)
        for byte in excluding.members { ascii.remove(byte) }
        let escape: [GrammarBuilder.Symbol] = [.text("\\"), .bytes(ByteSet(anyOf: "\"\\/bfnrt"))]
        let unicodeEscape: [GrammarBuilder.Symbol] = [.text("\\u"), hexDigit, hexDigit, hexDigit, hexDigit]
        return [[.bytes(ascii)], escape, unicodeEscape] + utf8MultiByte
    }

    /// Multi-byte UTF-8 characters (U+0080 and up, surrogates excluded).
    static let utf8MultiByte: [[GrammarBuilder.Symbol]] = {
        let tail = GrammarBuilder.Symbol.bytes(ByteSet(0x80...0xBF))
        return [
            [.bytes(ByteSet(0xC2...0xDF)), tail],
            [.bytes(ByteSet(byte: 0xE0)), .bytes(ByteSet(0xA0...0xBF)), tail],
            [.bytes(ByteSet(0xE1...0xEC, 0xEE...0xEF)), tail, tail],
            [.bytes(ByteSet(byte: 0xED)), .bytes(ByteSet(0x80...0x9F)), tail],
            [.bytes(ByteSet(byte: 0xF0)), .bytes(ByteSet(0x90...0xBF)), tail, tail],
            [.bytes(ByteSet(0xF1...0xF3)), tail, tail, tail],
            [.bytes(ByteSet(byte: 0xF4)), .bytes(ByteSet(0x80...0x8F)), tail, tail],
        ]
    }()
}

extension Grammar {
    /// Any JSON object (OpenAI's `response_format: {"type": "json_object"}`), with limited whitespace (before it
    /// too: a SentencePiece model's first token often starts with a space).
    public static func jsonObject() throws(GrammarError) -> Grammar {
        var b = GrammarBuilder()
        let json = JSONGrammarRules(&b)
        let root = b.rule("root", [[json.space, json.object]])
        return try b.build(root: root)
    }
}
