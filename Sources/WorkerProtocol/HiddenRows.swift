/// How a stage message stores the residual stream: 32-bit floats (what the engine computes, so a split model gives
/// the unsplit model's bits) or 16-bit floats (half the bytes on the link, rounded).
public enum HiddenEncoding: UInt8, Sendable, CaseIterable {
    /// IEEE-754 binary32, little-endian.
    case f32 = 0
    /// IEEE-754 binary16, little-endian.
    case f16 = 1

    /// Bytes per value.
    public var byteWidth: Int { self == .f32 ? 4 : 2 }
}

/// Rows of the residual stream on a pipeline link: `rowCount` rows of `width` values, row after row.
public struct HiddenRows: Sendable, Equatable {
    /// How the values travel.
    public var encoding: HiddenEncoding
    /// Values per row (the model's embedding length).
    public var width: UInt32
    /// `rowCount × width` values, as F32 (F16 values are widened exactly when read, and rounded when written).
    public var values: [Float]

    /// The widest row a link carries: far above any model's embedding length, far below what overflows a count.
    public static let maxWidth: UInt32 = 1 << 20

    /// Creates rows; `values.count` must be a multiple of `width`.
    public init(encoding: HiddenEncoding = .f32, width: UInt32, values: [Float]) {
        self.encoding = encoding
        self.width = width
        self.values = values
    }

    /// Rows in `values`.
    public var rowCount: Int { width == 0 ? 0 : values.count / Int(width) }

    /// Layout: encoding u8, width u32, row count u32, then the values (no count of their own).
    public func encode(into writer: inout WireWriter) {
        precondition(width > 0 ? values.count % Int(width) == 0 : values.isEmpty, "values are not whole rows")
        writer.write(encoding.rawValue)
        writer.write(width)
        writer.write(UInt32(rowCount))
        writer.buffer.reserveCapacity(writer.buffer.count + values.count * encoding.byteWidth)
        switch encoding {
        case .f32: for value in values { writer.write(value.bitPattern) }
        case .f16: for value in values { writer.write(Float16(value).bitPattern) }
        }
    }

    /// Reads what `encode(into:)` writes. A width of 0 or above `maxWidth`, more values than the bytes left, and
    /// NaN (which no forward pass passes on) are refused.
    public init(reading reader: inout WireReader) throws(ProtocolError) {
        let rawEncoding = try reader.read(UInt8.self)
        guard let encoding = HiddenEncoding(rawValue: rawEncoding) else {
            throw ProtocolError(.invalidValue, "hidden-state encoding \(rawEncoding)")
        }
        self.encoding = encoding
        width = try reader.read(UInt32.self)
        guard width > 0, width <= Self.maxWidth else {
            throw ProtocolError(.invalidValue, "hidden-state width \(width), expected 1…\(Self.maxWidth)")
        }
        let rows = Int(try reader.read(UInt32.self))
        let (count, overflow) = rows.multipliedReportingOverflow(by: Int(width))
        guard !overflow, count <= reader.remaining / encoding.byteWidth else {
            throw ProtocolError(
                .countTooLarge, "\(rows) rows of \(width) values, \(reader.remaining) bytes left")
        }
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let value =
                encoding == .f32
                ? Float(bitPattern: try reader.read(UInt32.self))
                : Float(Float16(bitPattern: try reader.read(UInt16.self)))
            if value.isNaN { throw ProtocolError(.invalidValue, "hidden state \(i) is NaN") }
            values[i] = value
        }
        self.values = values
    }
}
