/// Reads little-endian fields from a byte buffer, never past its end: every read and every count is
/// checked against the bytes that remain before anything is loaded or allocated.
public struct WireReader {
    private let bytes: UnsafeRawBufferPointer
    /// Bytes consumed so far.
    public private(set) var offset = 0

    /// A reader over `bytes` (which must outlive it).
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Bytes not read yet.
    public var remaining: Int { bytes.count - offset }

    /// Reads an integer; `truncated` when too few bytes remain.
    public mutating func read<T: FixedWidthInteger>(_: T.Type) throws(ProtocolError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else {
            throw ProtocolError(.truncated, "\(size)-byte field at offset \(offset), \(remaining) bytes left")
        }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: value)
    }

    /// Reads a float; NaN is `invalidValue` unless `allowingNaN`.
    public mutating func readFloat(_ field: StaticString, allowingNaN: Bool = false) throws(ProtocolError) -> Float {
        let value = Float(bitPattern: try read(UInt32.self))
        if value.isNaN && !allowingNaN { throw ProtocolError(.invalidValue, "\(field) is NaN") }
        return value
    }

    /// Reads a bool byte; anything but 0 or 1 is `invalidValue`.
    public mutating func readBool(_ field: StaticString) throws(ProtocolError) -> Bool {
        switch try read(UInt8.self) {
        case 0: return false
        case 1: return true
        case let other: throw ProtocolError(.invalidValue, "\(field) is \(other), not a bool")
        }
    }

    /// Reads a 32-bit count of elements that each take at least `minimumElementSize` bytes, and
    /// refuses it (`countTooLarge`) when the remaining bytes could not hold that many.
    public mutating func readCount(_ field: StaticString, minimumElementSize: Int) throws(ProtocolError) -> Int {
        let count = Int(try read(UInt32.self))
        guard count <= remaining / max(minimumElementSize, 1) else {
            throw ProtocolError(
                .countTooLarge, "\(field) count \(count) × \(minimumElementSize) bytes, \(remaining) bytes left")
        }
        return count
    }

    /// Reads a string (32-bit byte count, UTF-8); invalid UTF-8 is `invalidValue`.
    public mutating func readString(_ field: StaticString) throws(ProtocolError) -> String {
        let count = try readCount(field, minimumElementSize: 1)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        offset += count
        guard let text = String(validating: slice.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw ProtocolError(.invalidValue, "\(field) is not valid UTF-8")
        }
        return text
    }

    /// Reads a count, then that many integers.
    public mutating func readArray<T: FixedWidthInteger>(_: T.Type, _ field: StaticString) throws(ProtocolError) -> [T]
    {
        let count = try readCount(field, minimumElementSize: MemoryLayout<T>.size)
        var values: [T] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try read(T.self)) }
        return values
    }

    /// Reads a count, then that many token ids; a negative id is `invalidValue`.
    public mutating func readTokens(_ field: StaticString) throws(ProtocolError) -> [Int32] {
        let tokens = try readArray(Int32.self, field)
        if let bad = tokens.first(where: { $0 < 0 }) {
            throw ProtocolError(.invalidValue, "\(field) holds negative token id \(bad)")
        }
        return tokens
    }

    /// Reads a count, then that many elements with `element`; each takes at least
    /// `minimumElementSize` bytes (used to refuse absurd counts before allocating).
    public mutating func readList<T>(
        _ field: StaticString, minimumElementSize: Int, _ element: (inout WireReader) throws(ProtocolError) -> T
    ) throws(ProtocolError) -> [T] {
        let count = try readCount(field, minimumElementSize: minimumElementSize)
        var values: [T] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try element(&self)) }
        return values
    }

    /// Throws `trailingBytes` unless every byte has been read.
    public func finish() throws(ProtocolError) {
        guard remaining == 0 else { throw ProtocolError(.trailingBytes, "\(remaining) bytes after the last field") }
    }
}
