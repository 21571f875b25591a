/// A set of byte values (256 bits): the terminals of a `Grammar`.
public struct ByteSet: Hashable, Sendable {
    private var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0

    /// The empty set.
    public init() {}

    /// The bytes of `ranges` (each inclusive).
    public init(_ ranges: ClosedRange<UInt8>...) {
        for range in ranges { insert(range) }
    }

    /// One byte.
    public init(byte: UInt8) { insert(byte) }

    /// The bytes of an ASCII string, each a member.
    public init(anyOf characters: String) {
        for byte in characters.utf8 { insert(byte) }
    }

    /// Every byte value.
    public static let all = ByteSet(0...255)

    /// Whether `byte` is a member.
    @inline(__always)
    public func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return w0 & bit != 0
        case 1: return w1 & bit != 0
        case 2: return w2 & bit != 0
        default: return w3 & bit != 0
        }
    }

    /// Adds `byte`.
    public mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: w0 |= bit
        case 1: w1 |= bit
        case 2: w2 |= bit
        default: w3 |= bit
        }
    }

    /// Adds every byte of `range`.
    public mutating func insert(_ range: ClosedRange<UInt8>) {
        for byte in range { insert(byte) }
    }

    /// Removes `byte`.
    public mutating func remove(_ byte: UInt8) {
        let bit = ~(UInt64(1) << UInt64(byte & 63))
        switch byte >> 6 {
        case 0: w0 &= bit
        case 1: w1 &= bit
        case 2: w2 &= bit
        default: w3 &= bit
        }
    }

    /// The bytes in either set.
    public func union(_ other: ByteSet) -> ByteSet {
        var out = self
        out.w0 |= other.w0
        out.w1 |= other.w1
        out.w2 |= other.w2
        out.w3 |= other.w3
        return out
    }

    /// The bytes not in this set.
    public var inverted: ByteSet {
        var out = self
        out.w0 = ~w0
        out.w1 = ~w1
        out.w2 = ~w2
        out.w3 = ~w3
        return out
    }

    /// Whether no byte is a member.
    public var isEmpty: Bool { w0 | w1 | w2 | w3 == 0 }

    /// The members in increasing order.
    public var members: [UInt8] { (0...255).map(UInt8.init).filter(contains) }
}
