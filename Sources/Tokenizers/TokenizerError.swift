/// A problem loading a vocabulary, encoding, decoding or rendering a chat; the message names the file and key
/// when there is one.
public struct TokenizerError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem it is; stable for tests and callers that branch on it.
    public enum Code: String, Sendable {
        /// A required `tokenizer.*` key is absent.
        case missingKey = "missing_key"
        /// A key is present but has the wrong type, size or an out-of-range value.
        case invalidKey = "invalid_key"
        /// `tokenizer.ggml.model` names a tokenizer this module does not implement.
        case unsupportedModel = "unsupported_model"
        /// `tokenizer.ggml.pre` names a pre-tokenizer this module does not implement.
        case unsupportedPreTokenizer = "unsupported_pre_tokenizer"
        /// A token id is negative or not below the vocabulary size.
        case tokenOutOfRange = "token_out_of_range"
        /// A chat message has a role the template cannot render.
        case unknownRole = "unknown_role"
        /// The model's chat template is not one of the recognised families and none was forced.
        case unrecognisedChatTemplate = "unrecognised_chat_template"
        /// A family name given in configuration is not one of the known families.
        case unknownChatTemplateFamily = "unknown_chat_template_family"
    }

    /// The kind of problem.
    public let code: Code
    /// The file the vocabulary came from, when known.
    public let path: String?
    /// What is wrong, in words.
    public let detail: String

    /// Creates an error; `path` names the model file when there is one.
    public init(_ code: Code, path: String? = nil, _ detail: String) {
        self.code = code
        self.path = path
        self.detail = detail
    }

    public var description: String {
        if let path { return "\(path): \(detail)" }
        return detail
    }
}
