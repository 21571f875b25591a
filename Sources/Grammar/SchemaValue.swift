/// A JSON value as a JSON Schema is read: objects keep their members in the order written (a schema's property
/// order is the order the output follows).
public indirect enum SchemaValue: Equatable, Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, with its text (kept for exact integer bounds and for `enum`/`const` output).
    case number(Double, text: String)
    /// A string.
    case string(String)
    /// An array.
    case array([SchemaValue])
    /// An object, members in order.
    case object([(key: String, value: SchemaValue)])

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> SchemaValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// Compact JSON text for this value (as `enum` and `const` values are written into the output).
    public var jsonText: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(_, let text): text
        case .string(let s): Self.quoted(s)
        case .array(let items): "[" + items.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let members):
            "{" + members.map { Self.quoted($0.key) + ":" + $0.value.jsonText }.joined(separator: ",") + "}"
        }
    }

    /// `text` as a JSON string literal, escaping only what JSON requires.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    public static func == (lhs: SchemaValue, rhs: SchemaValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a, _), .number(let b, _)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.elementsEqual(b) { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// Parses JSON text (RFC 8259, at most 64 levels deep); throws `invalidSchema` with the offset of the problem.
    public init(parsing text: String) throws(GrammarError) {
        var parser = SchemaParser(bytes: Array(text.utf8))
        self = try parser.document()
    }
}

/// A small recursive-descent JSON reader for schemas.
private struct SchemaParser {
    let bytes: [UInt8]
    var at = 0
    var depth = 0

    mutating func document() throws(GrammarError) -> SchemaValue {
        let value = try self.value()
        skipSpace()
        guard at == bytes.count else { throw fail("unexpected text after the schema") }
        return value
    }

    func fail(_ what: String) -> GrammarError {
        GrammarError(.invalidSchema, "the schema is not valid JSON: \(what) at byte \(at)")
    }

    mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
    }

    mutating func expect(_ literal: String) throws(GrammarError) {
        for byte in literal.utf8 {
            guard at < bytes.count, bytes[at] == byte else { throw fail("expected '\(literal)'") }
            at += 1
        }
    }

    mutating func value() throws(GrammarError) -> SchemaValue {
        skipSpace()
        guard at < bytes.count else { throw fail("unexpected end") }
        switch bytes[at] {
        case UInt8(ascii: "{"):
            depth += 1
            defer { depth -= 1 }
            guard depth <= 64 else { throw fail("nested too deep") }
            at += 1
            var members: [(key: String, value: SchemaValue)] = []
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "}") {
                at += 1
                return .object(members)
            }
            while true {
                skipSpace()
                let key = try string()
                skipSpace()
                try expect(":")
                let member = try value()
                if members.contains(where: { $0.key == key }) { throw fail("key '\(key)' repeated") }
                members.append((key, member))
                skipSpace()
                guard at < bytes.count else { throw fail("unexpected end") }
                if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                try expect("}")
                return .object(members)
            }
        case UInt8(ascii: "["):
            depth += 1
            defer { depth -= 1 }
            guard depth <= 64 else { throw fail("nested too deep") }
            at += 1
            var items: [SchemaValue] = []
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "]") {
                at += 1
                return .array(items)
            }
            while true {
                items.append(try value())
                skipSpace()
                guard at < bytes.count else { throw fail("unexpected end") }
                if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                try expect("]")
                return .array(items)
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default: return try number()
        }
    }

    mutating func number() throws(GrammarError) -> SchemaValue {
        let start = at
        let numberBytes = ByteSet(anyOf: "+-.eE0123456789")
        while at < bytes.count, numberBytes.contains(bytes[at]) { at += 1 }
        let text = String(decoding: bytes[start..<at], as: UTF8.self)
        guard let value = Double(text), value.isFinite, text.first != "+" else { throw fail("bad number '\(text)'") }
        return .number(value, text: text)
    }

    mutating func string() throws(GrammarError) -> String {
        try expect("\"")
        var out: [UInt8] = []
        while at < bytes.count {
            let byte = bytes[at]
            at += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard at < bytes.count else { throw fail("unexpected end") }
                let escaped = bytes[at]
                at += 1
                switch escaped {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    guard at + 4 <= bytes.count,
                        let code = UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16)
                    else { throw fail("bad \\u escape") }
                    at += 4
                    // A lone surrogate has no UTF-8 form; it becomes U+FFFD.
                    out += Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8)
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                default: throw fail("bad escape")
                }
            case 0..<0x20: throw fail("control character in a string")
            default: out.append(byte)
            }
        }
        throw fail("unterminated string")
    }
}
