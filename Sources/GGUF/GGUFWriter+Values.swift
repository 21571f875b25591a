/// Encoding metadata values the way GGUF stores them, and checking them first.
extension GGUFWriter {
    /// Throws when `value` cannot be written: an array with an element of another type, or nested too deep.
    static func validate(_ value: GGUFValue, key: String, depth: Int) throws(GGUFError) {
        guard case .array(let elementType, let values) = value else { return }
        guard depth < GGUFFile.maximumArrayDepth else {
            throw GGUFError(
                .badValueType, path: writerPath,
                "metadata '\(key)' nests arrays deeper than \(GGUFFile.maximumArrayDepth)")
        }
        for element in values {
            guard element.type == elementType else {
                throw GGUFError(
                    .badValueType, path: writerPath,
                    "metadata '\(key)' is an array of \(elementType) holding a \(element.type)")
            }
            try validate(element, key: key, depth: depth + 1)
        }
    }

    static func writeString(_ string: String, to sink: GGUFDataSink) throws(GGUFError) {
        var string = string
        try rethrowingGGUFError {
            try string.withUTF8 { utf8 in
                try sink.writeInteger(UInt64(utf8.count))
                try sink.write(UnsafeRawBufferPointer(utf8))
            }
        }
    }

    /// Writes `value` without its type tag (arrays write their element type and count).
    static func writeValue(_ value: GGUFValue, to sink: GGUFDataSink) throws(GGUFError) {
        switch value {
        case .uint8(let v): try sink.writeInteger(v)
        case .int8(let v): try sink.writeInteger(v)
        case .uint16(let v): try sink.writeInteger(v)
        case .int16(let v): try sink.writeInteger(v)
        case .uint32(let v): try sink.writeInteger(v)
        case .int32(let v): try sink.writeInteger(v)
        case .uint64(let v): try sink.writeInteger(v)
        case .int64(let v): try sink.writeInteger(v)
        case .float32(let v): try sink.writeInteger(v.bitPattern)
        case .float64(let v): try sink.writeInteger(v.bitPattern)
        case .bool(let v): try sink.writeInteger(UInt8(v ? 1 : 0))
        case .string(let s): try writeString(s, to: sink)
        case .array(let elementType, let values):
            try sink.writeInteger(elementType.rawValue)
            try sink.writeInteger(UInt64(values.count))
            for element in values { try writeValue(element, to: sink) }
        }
    }
}
