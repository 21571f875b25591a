/// Just enough of Jinja's syntax to read what a chat template prints unconditionally as text: the constant
/// `{{ … }}` expressions (string literals joined by `+`), and whether it looks at the first message's role.
///
/// This is not a Jinja engine: it never evaluates control flow. It serves `ChatTemplate.detect`, which only trusts
/// what it finds here when the surrounding shape is one it knows.
enum JinjaConstants {
    /// The value of every `{{ … }}` whose expression is only string literals joined by `+` (whitespace control
    /// `{{-`/`-}}` allowed), in template order. Expressions that use anything else (variables, filters, calls) are
    /// skipped.
    static func printedConstants(_ template: String) -> [String] {
        let bytes = Array(template.utf8)
        var out: [String] = []
        var i = 0
        while i + 1 < bytes.count {
            guard bytes[i] == UInt8(ascii: "{"), bytes[i + 1] == UInt8(ascii: "{") else {
                i += 1
                continue
            }
            var p = i + 2
            if p < bytes.count && (bytes[p] == UInt8(ascii: "-") || bytes[p] == UInt8(ascii: "+")) { p += 1 }
            let (value, end) = constantExpression(bytes, from: p)
            if let value { out.append(value) }
            i = end
        }
        return out
    }

    /// True when the template compares the first message's role with "system" (`messages[0]['role'] != 'system'`,
    /// `messages[0]["role"] == "system"`, `messages[0].role != 'system'`, with any spacing).
    static func checksFirstMessageIsSystem(_ template: String) -> Bool {
        let bytes = Array(template.utf8)
        let marker = Array("messages[0]".utf8)
        var i = 0
        while i + marker.count <= bytes.count {
            if bytes[i..<(i + marker.count)].elementsEqual(marker) {
                var p = i + marker.count
                if p < bytes.count && bytes[p] == UInt8(ascii: ".") {
                    p = expect(bytes, "role", at: p + 1)
                } else {
                    p = skipSpaces(bytes, expect(bytes, "[", at: p))
                    if p < bytes.count, let (value, end) = literal(bytes, at: p), value == "role" {
                        p = expect(bytes, "]", at: skipSpaces(bytes, end))
                    } else {
                        p = -1
                    }
                }
                if p >= 0 {
                    p = skipSpaces(bytes, p)
                    let afterOperator = max(expect(bytes, "!=", at: p), expect(bytes, "==", at: p))
                    if afterOperator >= 0 {
                        let q = skipSpaces(bytes, afterOperator)
                        if q < bytes.count, let (value, _) = literal(bytes, at: q), value == "system" { return true }
                    }
                }
            }
            i += 1
        }
        return false
    }

    /// Parses `literal (+ literal)*` up to `}}`; returns its value (nil when it is anything else) and the index just
    /// past the closing `}}` (or the end of the text).
    private static func constantExpression(_ bytes: [UInt8], from start: Int) -> (String?, Int) {
        var p = skipSpaces(bytes, start)
        var value = ""
        var isConstant = true
        var expectLiteral = true
        while p < bytes.count {
            if bytes[p] == UInt8(ascii: "}") && p + 1 < bytes.count && bytes[p + 1] == UInt8(ascii: "}") {
                return (isConstant && !expectLiteral ? value : nil, p + 2)
            }
            if isConstant, expectLiteral, let (text, end) = literal(bytes, at: p) {
                value += text
                expectLiteral = false
                p = skipSpaces(bytes, end)
                continue
            }
            if isConstant, !expectLiteral, bytes[p] == UInt8(ascii: "+") {
                expectLiteral = true
                p = skipSpaces(bytes, p + 1)
                continue
            }
            if isConstant, !expectLiteral, bytes[p] == UInt8(ascii: "-") || bytes[p] == UInt8(ascii: "+") {
                // Whitespace control right before `}}`.
                let q = p + 1
                if q + 1 < bytes.count && bytes[q] == UInt8(ascii: "}") && bytes[q + 1] == UInt8(ascii: "}") {
                    return (value, q + 2)
                }
            }
            // Anything else: not a constant; skip to the closing braces, stepping over string literals.
            isConstant = false
            if let (_, end) = literal(bytes, at: p) {
                p = end
            } else {
                p += 1
            }
        }
        return (nil, bytes.count)
    }

    /// A Jinja string literal at `start` (single or double quotes, Python escapes): its value and the index past it.
    static func literal(_ bytes: [UInt8], at start: Int) -> (String, Int)? {
        guard start >= 0, start < bytes.count, bytes[start] == UInt8(ascii: "'") || bytes[start] == UInt8(ascii: "\"")
        else {
            return nil
        }
        let quote = bytes[start]
        var out: [UInt8] = []
        var p = start + 1
        while p < bytes.count {
            let b = bytes[p]
            if b == quote { return (String(decoding: out, as: UTF8.self), p + 1) }
            guard b == UInt8(ascii: "\\"), p + 1 < bytes.count else {
                out.append(b)
                p += 1
                continue
            }
            let e = bytes[p + 1]
            p += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "0"): out.append(0x00)
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): out.append(e)
            case UInt8(ascii: "\n"): break  // a backslash-newline continues the line
            case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                let digits = e == UInt8(ascii: "x") ? 2 : e == UInt8(ascii: "u") ? 4 : 8
                guard p + digits <= bytes.count,
                    let value = UInt32(String(decoding: bytes[p..<(p + digits)], as: UTF8.self), radix: 16),
                    let scalar = Unicode.Scalar(value)
                else {
                    out += [UInt8(ascii: "\\"), e]
                    continue
                }
                out += Array(String(Character(scalar)).utf8)
                p += digits
            default: out += [UInt8(ascii: "\\"), e]  // Python keeps unknown escapes as they are
            }
        }
        return nil
    }

    private static func skipSpaces(_ bytes: [UInt8], _ start: Int) -> Int {
        guard start >= 0 else { return start }
        var p = start
        while p < bytes.count && (bytes[p] == 0x20 || (0x09...0x0D).contains(bytes[p])) { p += 1 }
        return p
    }

    /// The index past `text` when it is at `start`, else -1.
    private static func expect(_ bytes: [UInt8], _ text: String, at start: Int) -> Int {
        let t = Array(text.utf8)
        guard start >= 0, start + t.count <= bytes.count, bytes[start..<(start + t.count)].elementsEqual(t) else {
            return -1
        }
        return start + t.count
    }
}
