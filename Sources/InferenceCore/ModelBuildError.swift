/// A problem with the arguments or inputs of a model build; the message says what to change.
public struct ModelBuildError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem it is; stable for tests and callers that branch on it.
    public enum Code: String, Sendable {
        /// The sizes do not fit together (dim not divisible by heads, ...).
        case invalidHyperparameters = "invalid_hyperparameters"
        /// The tensor type cannot hold these sizes or is not supported.
        case invalidTensorType = "invalid_tensor_type"
        /// The vocabulary file has no usable tokenizer.
        case invalidVocabulary = "invalid_vocabulary"
        /// Reading or writing a GGUF file failed.
        case gguf
    }

    /// The kind of problem.
    public let code: Code
    /// What is wrong, in words.
    public let detail: String

    /// Creates an error.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { detail }
}
