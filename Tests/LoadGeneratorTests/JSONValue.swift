/// A parsed JSON value that keeps what JSONSerialization blurs on Linux: booleans versus numbers, integers versus
/// fractions. A small recursive-descent parser, enough for reports and schemas.
indirect enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number(Double, integer: Bool)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    struct ParseError: Error { var offset: Int }

    static func parse(_ text: String) throws -> JSONValue {
        var parser = Parser(bytes: Array(text.utf8))
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw ParseError(offset: parser.index) }
        return value
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var number: Double? {
        if case .number(let value, _) = self { return value }
        return nil
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }

        mutating func literal(_ word: String, _ value: JSONValue) throws -> JSONValue {
            let word = Array(word.utf8)
            guard index + word.count <= bytes.count, Array(bytes[index..<(index + word.count)]) == word else {
                throw ParseError(offset: index)
            }
            index += word.count
            return value
        }

        mutating func value() throws -> JSONValue {
            skipSpace()
            guard index < bytes.count else { throw ParseError(offset: index) }
            switch bytes[index] {
            case UInt8(ascii: "n"): return try literal("null", .null)
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "["):
                index += 1
                var elements: [JSONValue] = []
                skipSpace()
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(elements)
                }
                while true {
                    elements.append(try value())
                    skipSpace()
                    let byte = bytes[index]
                    index += 1
                    if byte == UInt8(ascii: "]") { return .array(elements) }
                    guard byte == UInt8(ascii: ",") else { throw ParseError(offset: index) }
                }
            case UInt8(ascii: "{"):
                index += 1
                var members: [String: JSONValue] = [:]
                skipSpace()
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(members)
                }
                while true {
                    skipSpace()
                    let key = try string()
                    skipSpace()
                    guard bytes[index] == UInt8(ascii: ":") else { throw ParseError(offset: index) }
                    index += 1
                    members[key] = try value()
                    skipSpace()
                    let byte = bytes[index]
                    index += 1
                    if byte == UInt8(ascii: "}") { return .object(members) }
                    guard byte == UInt8(ascii: ",") else { throw ParseError(offset: index) }
                }
            default:
                let start = index
                while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                guard let number = Double(text) else { throw ParseError(offset: start) }
                return .number(number, integer: !text.contains(where: { ".eE".contains($0) }))
            }
        }

        mutating func string() throws -> String {
            guard bytes[index] == UInt8(ascii: "\"") else { throw ParseError(offset: index) }
            index += 1
            var out: [UInt8] = []
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\\") {
                    index += 1
                    switch bytes[index] {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        let hex = String(decoding: bytes[(index + 1)...(index + 4)], as: UTF8.self)
                        out.append(
                            contentsOf: Array(
                                String(Character(Unicode.Scalar(UInt32(hex, radix: 16) ?? 63) ?? "?")).utf8))
                        index += 4
                    default: out.append(bytes[index])
                    }
                } else {
                    out.append(bytes[index])
                }
                index += 1
            }
            index += 1
            return String(decoding: out, as: UTF8.self)
        }
    }
}
