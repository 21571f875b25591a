/// A strict RFC 8259 syntax check of a request body, for the error path only: it tells a body that is not JSON
/// (`invalid_json`: a raw control character or NUL in a string, a lone surrogate escape, a stray comma) from one that
/// is JSON with a value out of range (`invalid_request`: `"seed": 1.5`, `"max_tokens": 1e400`), which Foundation's
/// `JSONDecoder` both calls "not valid JSON". Numbers of any size are valid JSON here.
struct JSONSyntaxCheck {
    /// What the check found.
    enum Outcome: Equatable {
        /// Not JSON: why, and the byte offset.
        case invalid(String, offset: Int)
        /// JSON; the numbers that are the values of the top-level object's members, as written.
        case valid(topLevelNumbers: [String: String])
    }

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0
    private var numbers: [String: String] = [:]

    /// Checks `body` (already known to be UTF-8).
    static func check(_ body: some Collection<UInt8>) -> Outcome {
        var check = JSONSyntaxCheck(bytes: Array(body))
        do throws(Failure) {
            try check.value(topLevel: true)
            check.skipWhitespace()
            guard check.index == check.bytes.count else { throw Failure("unexpected text after the JSON value") }
            return .valid(topLevelNumbers: check.numbers)
        } catch {
            return .invalid(error.reason, offset: check.index)
        }
    }

    private struct Failure: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func value(topLevel: Bool = false) throws(Failure) {
        skipWhitespace()
        guard index < bytes.count else { throw Failure("unexpected end of the body") }
        switch bytes[index] {
        case UInt8(ascii: "{"): try object(topLevel: topLevel)
        case UInt8(ascii: "["): try array()
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try number()
        default: throw Failure("unexpected character '\(Self.describe(bytes[index]))'")
        }
    }

    private mutating func object(topLevel: Bool) throws(Failure) {
        try enter()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Failure("expected a key") }
            let key = try string()
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw Failure("expected ':' after a key") }
            skipWhitespace()
            if topLevel, index < bytes.count, bytes[index] == UInt8(ascii: "-") || Self.isDigit(bytes[index]) {
                numbers[key] = try number()
            } else {
                try value()
            }
            skipWhitespace()
            if consume(UInt8(ascii: "}")) { return }
            guard consume(UInt8(ascii: ",")) else { throw Failure("expected ',' or '}'") }
        }
    }

    private mutating func array() throws(Failure) {
        try enter()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return }
        while true {
            try value()
            skipWhitespace()
            if consume(UInt8(ascii: "]")) { return }
            guard consume(UInt8(ascii: ",")) else { throw Failure("expected ',' or ']'") }
        }
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        guard depth <= 512 else { throw Failure("nested too deeply") }
    }

    /// A string; returns its text when it is short enough to be a key worth keeping (escapes kept as written).
    private mutating func string() throws(Failure) -> String {
        let start = index + 1
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: bytes[start..<(index - 1)], as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                try escape()
            case 0..<0x20:
                throw Failure("unescaped control character \(Self.describe(byte)) in a string")
            default:
                index += 1
            }
        }
        throw Failure("unterminated string")
    }

    private mutating func escape() throws(Failure) {
        guard index < bytes.count else { throw Failure("unterminated string") }
        let letter = bytes[index]
        index += 1
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return
        case UInt8(ascii: "u"):
            let unit = try hexUnit()
            if (0xDC00...0xDFFF).contains(unit) { throw Failure("lone low surrogate escape in a string") }
            guard (0xD800...0xDBFF).contains(unit) else { return }
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { throw Failure("lone high surrogate escape in a string") }
            index += 2
            guard (0xDC00...0xDFFF).contains(try hexUnit()) else {
                throw Failure("high surrogate escape not followed by a low one")
            }
        default:
            throw Failure("invalid escape '\\\(Self.describe(letter))' in a string")
        }
    }

    private mutating func hexUnit() throws(Failure) -> UInt16 {
        guard index + 4 <= bytes.count else { throw Failure("unterminated \\u escape") }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            guard let digit = Self.hexValue(bytes[index]) else { throw Failure("invalid \\u escape") }
            unit = unit << 4 | UInt16(digit)
            index += 1
        }
        return unit
    }

    /// A number; returns it as written.
    private mutating func number() throws(Failure) -> String {
        let start = index
        _ = consume(UInt8(ascii: "-"))
        guard index < bytes.count, Self.isDigit(bytes[index]) else { throw Failure("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            digits()
        }
        if consume(UInt8(ascii: ".")) {
            guard digits() > 0 else { throw Failure("invalid number: no digit after '.'") }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            guard digits() > 0 else { throw Failure("invalid number: no digit in the exponent") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    @discardableResult
    private mutating func digits() -> Int {
        let start = index
        while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        return index - start
    }

    private mutating func literal(_ word: String) throws(Failure) {
        let letters = Array(word.utf8)
        guard index + letters.count <= bytes.count, Array(bytes[index..<(index + letters.count)]) == letters else {
            throw Failure("invalid literal (expected \(word))")
        }
        index += letters.count
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count,
            [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains(bytes[index])
        {
            index += 1
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func describe(_ byte: UInt8) -> String {
        byte < 0x20 || byte == 0x7F
            ? "U+" + String(byte, radix: 16, uppercase: true).leftPadded(to: 4)
            : String(
                UnicodeScalar(byte))
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
