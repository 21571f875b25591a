/// A problem found while reading or writing a GGUF file; the message names the file and what is wrong.
public struct GGUFError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem it is; stable for tests and callers that branch on it.
    public enum Code: String, Sendable {
        case cannotOpen = "cannot_open"
        case truncated
        case badMagic = "bad_magic"
        case unsupportedVersion = "unsupported_version"
        case absurdCount = "absurd_count"
        case badValueType = "bad_value_type"
        case badTensorInfo = "bad_tensor_info"
        case unknownTensorType = "unknown_tensor_type"
        case badAlignment = "bad_alignment"
        case tensorOutOfBounds = "tensor_out_of_bounds"
        case missingMetadata = "missing_metadata"
        case writeFailed = "write_failed"
    }

    /// The kind of problem.
    public let code: Code
    /// The file the problem is in.
    public let path: String
    /// What is wrong, in words.
    public let detail: String

    /// Creates an error for `path`.
    public init(_ code: Code, path: String, _ detail: String) {
        self.code = code
        self.path = path
        self.detail = detail
    }

    public var description: String { "\(path): \(detail)" }
}
