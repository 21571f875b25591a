/// A GGUF v2/v3 file, memory-mapped: its metadata, its tensor infos and zero-copy access to tensor bytes.
///
/// Every read is bounds-checked: a truncated or corrupted file gets a `GGUFError` naming the file, never a crash.
public struct GGUFFile: Sendable {
    /// The magic number at the start of every GGUF file ("GGUF" in ASCII, little-endian).
    public static let magic: UInt32 = 0x4655_4747
    /// Longest tensor name ggml accepts, in bytes, minus the terminating NUL.
    public static let maximumTensorNameBytes = 63
    /// Deepest nesting of arrays accepted in metadata.
    static let maximumArrayDepth = 8

    /// The file's path.
    public var path: String { mapping.path }
    /// The format version (2 or 3).
    public let version: UInt32
    /// All metadata pairs (as read; `removeMetadata(forKey:)` can drop some from memory).
    public private(set) var metadata: GGUFMetadata
    /// All tensor infos, in file order.
    public let tensors: [GGUFTensorInfo]
    /// Alignment of tensor data (`general.alignment`, default 32).
    public let alignment: Int
    /// Offset of the data section from the start of the file.
    public let dataOffset: Int
    /// The mapping; tensor bytes point into it.
    public let mapping: MappedFile
    private let tensorIndex: [String: Int]

    /// Forgets the metadata value under `key` (the file is unchanged): a caller that has read what it needs from a
    /// large array, such as a vocabulary's tokens, can stop holding the parsed copy.
    public mutating func removeMetadata(forKey key: String) {
        metadata[key] = nil
    }

    /// Opens and validates `path`.
    public init(path: String) throws(GGUFError) {
        try self.init(mapping: MappedFile(path: path))
    }

    /// Reads an already mapped file.
    public init(mapping: MappedFile) throws(GGUFError) {
        self.mapping = mapping
        var cursor = ByteCursor(bytes: mapping.bytes, path: mapping.path)
        let magic = try cursor.read(UInt32.self, "magic")
        guard magic == Self.magic else {
            throw cursor.fail(.badMagic, "not a GGUF file (bad magic 0x\(String(magic, radix: 16)))")
        }
        version = try cursor.read(UInt32.self, "version")
        guard version == 2 || version == 3 else {
            throw cursor.fail(.unsupportedVersion, "unsupported GGUF version \(version) (2 and 3 are supported)")
        }
        // A tensor info takes at least 8 (name length) + 4 (dims) + 4 (type) + 8 (offset) bytes.
        let tensorCount = try cursor.readCount("tensor count", minimumElementBytes: 24)
        // A key/value pair takes at least 8 (key length) + 4 (type) + 1 (smallest value) bytes.
        let kvCount = try cursor.readCount("metadata count", minimumElementBytes: 13)

        var entries: [(key: String, value: GGUFValue)] = []
        entries.reserveCapacity(kvCount)
        var seenKeys = Set<String>()
        for i in 0..<kvCount {
            let key = try cursor.readString("metadata key #\(i)")
            guard seenKeys.insert(key).inserted else {
                throw cursor.fail(.badValueType, "duplicate metadata key '\(key)'")
            }
            let rawType = try cursor.read(UInt32.self, "type of '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw cursor.fail(.badValueType, "metadata '\(key)' has unknown value type \(rawType)")
            }
            entries.append((key, try Self.readValue(type, &cursor, key: key, depth: 0)))
        }
        metadata = GGUFMetadata(entries)

        if let value = metadata["general.alignment"] {
            guard let a = value.intValue, a > 0, a & (a - 1) == 0, a <= 1 << 20 else {
                throw cursor.fail(.badAlignment, "general.alignment must be a power of two, found \(value)")
            }
            alignment = a
        } else {
            alignment = 32
        }

        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(tensorCount)
        var index: [String: Int] = [:]
        for i in 0..<tensorCount {
            let info = try Self.readTensorInfo(&cursor, number: i, alignment: alignment)
            guard index.updateValue(infos.count, forKey: info.name) == nil else {
                throw cursor.fail(.badTensorInfo, "duplicate tensor name '\(info.name)'")
            }
            infos.append(info)
        }
        let padded = (cursor.offset + alignment - 1) / alignment * alignment
        dataOffset = padded
        let dataBytes = mapping.bytes.count - min(padded, mapping.bytes.count)
        for info in infos {
            let (end, overflow) = info.offset.addingReportingOverflow(info.byteCount)
            guard !overflow, padded <= mapping.bytes.count, end <= dataBytes else {
                throw cursor.fail(
                    .tensorOutOfBounds,
                    "tensor '\(info.name)' (\(info.byteCount) bytes at data offset \(info.offset)) "
                        + "runs past the end of the file (data section has \(dataBytes) bytes)")
            }
        }
        tensors = infos
        tensorIndex = index
    }

    /// The info of the tensor called `name`, or nil.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The stored bytes of `info`, pointing into the mapping (valid while this file value is alive).
    public func bytes(of info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(
            rebasing: mapping.bytes[(dataOffset + info.offset)..<(dataOffset + info.offset + info.byteCount)])
    }

    private static func readValue(
        _ type: GGUFValueType, _ cursor: inout ByteCursor, key: String, depth: Int
    ) throws(GGUFError) -> GGUFValue {
        let what = "value of '\(key)'"
        switch type {
        case .uint8: return .uint8(try cursor.read(UInt8.self, what))
        case .int8: return .int8(try cursor.read(Int8.self, what))
        case .uint16: return .uint16(try cursor.read(UInt16.self, what))
        case .int16: return .int16(try cursor.read(Int16.self, what))
        case .uint32: return .uint32(try cursor.read(UInt32.self, what))
        case .int32: return .int32(try cursor.read(Int32.self, what))
        case .uint64: return .uint64(try cursor.read(UInt64.self, what))
        case .int64: return .int64(try cursor.read(Int64.self, what))
        case .float32: return .float32(Float(bitPattern: try cursor.read(UInt32.self, what)))
        case .float64: return .float64(Double(bitPattern: try cursor.read(UInt64.self, what)))
        case .bool:
            let b = try cursor.read(UInt8.self, what)
            guard b <= 1 else { throw cursor.fail(.badValueType, "metadata '\(key)' has bool value \(b)") }
            return .bool(b == 1)
        case .string:
            return .string(try cursor.readString(what))
        case .array:
            guard depth < maximumArrayDepth else {
                throw cursor.fail(.badValueType, "metadata '\(key)' nests arrays deeper than \(maximumArrayDepth)")
            }
            let rawType = try cursor.read(UInt32.self, "element type of '\(key)'")
            guard let elementType = GGUFValueType(rawValue: rawType) else {
                throw cursor.fail(.badValueType, "metadata '\(key)' is an array of unknown value type \(rawType)")
            }
            // Strings take at least their 8-byte length, arrays their 12-byte header.
            let minimum = elementType.fixedSize ?? (elementType == .string ? 8 : 12)
            let count = try cursor.readCount("element count of '\(key)'", minimumElementBytes: minimum)
            var values: [GGUFValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count {
                values.append(try readValue(elementType, &cursor, key: key, depth: depth + 1))
            }
            return .array(elementType: elementType, values: values)
        }
    }

    private static func readTensorInfo(
        _ cursor: inout ByteCursor, number: Int, alignment: Int
    ) throws(GGUFError) -> GGUFTensorInfo {
        let name = try cursor.readString("name of tensor #\(number)")
        guard name.utf8.count <= maximumTensorNameBytes else {
            throw cursor.fail(
                .badTensorInfo, "tensor #\(number) has a name of \(name.utf8.count) bytes (the limit is 63)")
        }
        let dims = try cursor.read(UInt32.self, "dimension count of '\(name)'")
        guard (1...4).contains(dims) else {
            throw cursor.fail(.badTensorInfo, "tensor '\(name)' has \(dims) dimensions (1 to 4 are allowed)")
        }
        var shape: [Int] = []
        var elements = 1
        for _ in 0..<dims {
            let d = try cursor.read(UInt64.self, "dimensions of '\(name)'")
            guard d >= 1, d <= UInt64(Int32.max) else {
                throw cursor.fail(.badTensorInfo, "tensor '\(name)' has dimension \(d)")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: Int(d))
            guard !overflow else { throw cursor.fail(.badTensorInfo, "tensor '\(name)' has too many elements") }
            elements = product
            shape.append(Int(d))
        }
        let rawType = try cursor.read(UInt32.self, "type of '\(name)'")
        guard let type = GGMLType(rawValue: rawType) else {
            throw cursor.fail(.unknownTensorType, "tensor '\(name)' has unknown or unsupported type \(rawType)")
        }
        guard shape[0] % type.blockSize == 0, let byteCount = type.byteCount(elements: elements) else {
            throw cursor.fail(
                .badTensorInfo,
                "tensor '\(name)': row length \(shape[0]) is not a multiple of \(type)'s block of \(type.blockSize)")
        }
        let offset = try cursor.read(UInt64.self, "offset of '\(name)'")
        guard offset % UInt64(alignment) == 0, offset <= UInt64(Int.max / 2) else {
            throw cursor.fail(
                .badTensorInfo, "tensor '\(name)' has offset \(offset), not a multiple of the alignment \(alignment)")
        }
        return GGUFTensorInfo(name: name, shape: shape, type: type, offset: Int(offset), byteCount: byteCount)
    }
}
