import NIOCore

/// Writes JSON text straight into a `ByteBuffer`: the answers the gateway sends for every request (completions,
/// stream chunks, errors) are written field by field instead of through `JSONEncoder`, whose generic machinery
/// cost more than the rest of a small completion's answer put together.
///
/// Commas are placed by one flag: a value or key written right after `{`, `[` or a key gets none, any other gets
/// one. Strings are escaped as RFC 8259 requires (quote, backslash, control characters) and otherwise written as
/// their UTF-8 bytes; `/` is not escaped.
public struct JSONWriter {
    /// The text written so far.
    public private(set) var buffer: ByteBuffer
    private var atStart = true

    /// A writer appending to an empty buffer of `capacity` bytes (it grows as needed).
    public init(capacity: Int = 256) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Starts an object.
    public mutating func beginObject() { open(UInt8(ascii: "{")) }

    /// Ends the current object.
    public mutating func endObject() { close(UInt8(ascii: "}")) }

    /// Starts an array.
    public mutating func beginArray() { open(UInt8(ascii: "[")) }

    /// Ends the current array.
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// A key of the current object; `name` must need no escaping (the API's own field names).
    public mutating func key(_ name: StaticString) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(name)
        buffer.writeStaticString("\":")
        atStart = true
    }

    /// A key of the current object taken from data (escaped like any string).
    public mutating func key(_ name: String) {
        string(name)
        buffer.writeInteger(UInt8(ascii: ":"))
        atStart = true
    }

    /// A string value.
    public mutating func string(_ value: String) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in writeEscaped(bytes) }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// An integer value.
    public mutating func int(_ value: Int) {
        separate()
        buffer.writeString(String(value))
    }

    /// A number value: the shortest text that reads back as `value`, without a trailing `.0` (as `JSONEncoder`
    /// writes it). JSON has no infinities: `-infinity` (a token the sampler could never pick) is written as
    /// -9999, as OpenAI does, `+infinity` as the largest finite value, and NaN as `null`.
    public mutating func float(_ value: Float) {
        guard value.isFinite else {
            if value.isNaN { return null() }
            return float(value < 0 ? -9999 : .greatestFiniteMagnitude)
        }
        separate()
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        buffer.writeString(text)
    }

    /// `null`.
    public mutating func null() {
        separate()
        buffer.writeStaticString("null")
    }

    /// Text written as it is, outside any JSON value (the `data: ` of a Server-Sent Event); no comma is added.
    public mutating func raw(_ text: StaticString) {
        buffer.writeStaticString(text)
    }

    /// A value that writes itself.
    public mutating func value(_ value: some JSONWritable) {
        value.write(to: &self)
    }

    /// A member of the current object: `key` and `value`.
    public mutating func field(_ key: StaticString, _ value: some JSONWritable) {
        self.key(key)
        value.write(to: &self)
    }

    /// A member of the current object, left out when `value` is nil.
    public mutating func field(_ key: StaticString, ifPresent value: (some JSONWritable)?) {
        if let value { field(key, value) }
    }

    /// A member of the current object, `null` when `value` is nil.
    public mutating func field(_ key: StaticString, orNull value: (some JSONWritable)?) {
        self.key(key)
        if let value { value.write(to: &self) } else { null() }
    }

    private mutating func open(_ bracket: UInt8) {
        separate()
        buffer.writeInteger(bracket)
        atStart = true
    }

    private mutating func close(_ bracket: UInt8) {
        buffer.writeInteger(bracket)
        atStart = false
    }

    private mutating func separate() {
        if atStart {
            atStart = false
        } else {
            buffer.writeInteger(UInt8(ascii: ","))
        }
    }

    /// Writes `bytes` (valid UTF-8) with quote, backslash and control characters escaped, copying the runs
    /// between them whole.
    private mutating func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            runStart = index + 1
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case 0x08: buffer.writeStaticString("\\b")
            case 0x0c: buffer.writeStaticString("\\f")
            default:
                let hex = Array("0123456789abcdef".utf8)
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0x0f)])
            }
        }
        buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
    }
}

/// A value written as JSON with `JSONWriter`.
public protocol JSONWritable {
    /// Writes the value (one JSON value) into `json`.
    func write(to json: inout JSONWriter)
}

extension String: JSONWritable {
    public func write(to json: inout JSONWriter) { json.string(self) }
}

extension Int: JSONWritable {
    public func write(to json: inout JSONWriter) { json.int(self) }
}

/// A byte is written as a number (the `bytes` of a logprob entry).
extension UInt8: JSONWritable {
    public func write(to json: inout JSONWriter) { json.int(Int(self)) }
}

extension Float: JSONWritable {
    public func write(to json: inout JSONWriter) { json.float(self) }
}

extension Array: JSONWritable where Element: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.beginArray()
        for element in self { element.write(to: &json) }
        json.endArray()
    }
}

/// A dictionary with text keys is written as an object, in the dictionary's order.
extension Dictionary: JSONWritable where Key == String, Value: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        for (key, value) in self {
            json.key(key)
            value.write(to: &json)
        }
        json.endObject()
    }
}

extension JSONWritable {
    /// The value as JSON text in a new buffer.
    public func jsonBuffer() -> ByteBuffer {
        var writer = JSONWriter()
        write(to: &writer)
        return writer.buffer
    }
}
