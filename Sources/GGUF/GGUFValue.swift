/// The thirteen metadata value types of GGUF, by their on-disk ids.
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
    case uint8 = 0
    case int8 = 1
    case uint16 = 2
    case int16 = 3
    case uint32 = 4
    case int32 = 5
    case float32 = 6
    case bool = 7
    case string = 8
    case array = 9
    case uint64 = 10
    case int64 = 11
    case float64 = 12

    /// Bytes of a fixed-size value on disk; nil for strings and arrays.
    var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        case .string, .array: nil
        }
    }
}

/// One metadata value as stored in a GGUF file.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case bool(Bool)
    case string(String)
    /// An array whose elements all have `elementType` (nested arrays are arrays of `.array`).
    indirect case array(elementType: GGUFValueType, values: [GGUFValue])
    case uint64(UInt64)
    case int64(Int64)
    case float64(Double)

    /// The on-disk type of this value.
    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .float32: .float32
        case .bool: .bool
        case .string: .string
        case .array: .array
        case .uint64: .uint64
        case .int64: .int64
        case .float64: .float64
        }
    }

    /// The value as an integer when it is any integer type that fits in `Int`.
    public var intValue: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// The value as a floating-point number when it is a float or an integer.
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: intValue.map(Double.init)
        }
    }

    /// The value when it is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value when it is a bool.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The elements when the value is an array.
    public var arrayValue: [GGUFValue]? {
        if case .array(_, let values) = self { return values }
        return nil
    }
}

/// The metadata of a GGUF file: key/value pairs in file order, with typed look-ups.
public struct GGUFMetadata: Sendable, Equatable {
    /// The pairs in the order the file stores them.
    public private(set) var entries: [(key: String, value: GGUFValue)]
    private var index: [String: Int]

    /// Creates metadata from pairs in order; a later duplicate key replaces the earlier value.
    public init(_ entries: [(key: String, value: GGUFValue)] = []) {
        self.entries = []
        self.index = [:]
        for entry in entries { self[entry.key] = entry.value }
    }

    /// The value stored under `key`, or nil; setting appends a new key or replaces in place.
    public subscript(key: String) -> GGUFValue? {
        get { index[key].map { entries[$0].value } }
        set {
            if let i = index[key] {
                if let newValue {
                    entries[i].value = newValue
                } else {
                    entries.remove(at: i)
                    index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.key, $0) })
                }
            } else if let newValue {
                index[key] = entries.count
                entries.append((key, newValue))
            }
        }
    }

    /// Number of pairs.
    public var count: Int { entries.count }

    /// The string under `key`, if it is one.
    public func string(_ key: String) -> String? { self[key]?.stringValue }
    /// The integer under `key`, if it is any integer type.
    public func int(_ key: String) -> Int? { self[key]?.intValue }
    /// The number under `key`, if it is a float or an integer.
    public func double(_ key: String) -> Double? { self[key]?.doubleValue }
    /// The bool under `key`, if it is one.
    public func bool(_ key: String) -> Bool? { self[key]?.boolValue }

    /// The strings under `key`, if it is an array of strings.
    public func strings(_ key: String) -> [String]? {
        guard let values = self[key]?.arrayValue else { return nil }
        var out: [String] = []
        out.reserveCapacity(values.count)
        for value in values {
            guard let s = value.stringValue else { return nil }
            out.append(s)
        }
        return out
    }

    /// The numbers under `key`, if it is an array of floats or integers.
    public func floats(_ key: String) -> [Float]? {
        guard let values = self[key]?.arrayValue else { return nil }
        var out: [Float] = []
        out.reserveCapacity(values.count)
        for value in values {
            guard let d = value.doubleValue else { return nil }
            out.append(Float(d))
        }
        return out
    }

    /// The integers under `key`, if it is an array of integers.
    public func ints(_ key: String) -> [Int]? {
        guard let values = self[key]?.arrayValue else { return nil }
        var out: [Int] = []
        out.reserveCapacity(values.count)
        for value in values {
            guard let i = value.intValue else { return nil }
            out.append(i)
        }
        return out
    }

    public static func == (lhs: GGUFMetadata, rhs: GGUFMetadata) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
