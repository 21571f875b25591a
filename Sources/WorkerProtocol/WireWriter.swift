/// Appends little-endian fields to a byte array. Counts and string lengths are 32-bit.
public struct WireWriter {
    /// The bytes written so far.
    public var buffer: [UInt8]

    /// Starts an empty writer.
    public init() {
        buffer = []
    }

    /// Appends an integer, little-endian.
    public mutating func write<T: FixedWidthInteger>(_ value: T) {
        buffer.appendLittleEndian(value)
    }

    /// Appends a float's IEEE-754 bits, little-endian.
    public mutating func write(_ value: Float) {
        buffer.appendLittleEndian(value.bitPattern)
    }

    /// Appends a bool as one byte, 0 or 1.
    public mutating func write(_ value: Bool) {
        buffer.append(value ? 1 : 0)
    }

    /// Appends an element count (32-bit).
    public mutating func writeCount(_ count: Int) {
        precondition(count >= 0 && count <= Int(UInt32.max), "count \(count) does not fit 32 bits")
        buffer.appendLittleEndian(UInt32(count))
    }

    /// Appends a string as a 32-bit byte count and its UTF-8 bytes.
    public mutating func write(_ value: String) {
        writeCount(value.utf8.count)
        buffer.append(contentsOf: value.utf8)
    }

    /// Appends a count, then each integer.
    public mutating func write<T: FixedWidthInteger>(_ values: [T]) {
        writeCount(values.count)
        buffer.reserveCapacity(buffer.count + values.count * MemoryLayout<T>.size)
        for value in values { buffer.appendLittleEndian(value) }
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
