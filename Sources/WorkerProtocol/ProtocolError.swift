/// Why bytes could not be decoded as a worker-protocol message.
public struct ProtocolError: Error, Hashable, CustomStringConvertible {
    /// The kinds of failure; each raw value is a stable snake_case label for logs and metrics.
    public enum Code: String, Sendable, CaseIterable {
        /// The bytes end before the header or a field does.
        case truncated = "truncated"
        /// The header does not start with the protocol's magic number.
        case badMagic = "bad_magic"
        /// The header carries a protocol version this build does not speak.
        case unsupportedVersion = "unsupported_version"
        /// The header names a message kind this build does not know.
        case unknownKind = "unknown_kind"
        /// The message is a valid kind, but not the one the caller asked for.
        case unexpectedKind = "unexpected_kind"
        /// The header's body length disagrees with the bytes given.
        case lengthMismatch = "length_mismatch"
        /// A count says more elements than the remaining bytes could hold.
        case countTooLarge = "count_too_large"
        /// Bytes are left over after the last field.
        case trailingBytes = "trailing_bytes"
        /// A field holds a value outside its domain: an unknown enum raw value, a bool other than
        /// 0 or 1, NaN, a negative token id, invalid UTF-8, nonzero reserved bits.
        case invalidValue = "invalid_value"
    }

    /// The kind of failure.
    public let code: Code
    /// What is wrong and where, in words.
    public let detail: String

    /// Creates an error.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// `code: detail`.
    public var description: String { "\(code.rawValue): \(detail)" }
}
