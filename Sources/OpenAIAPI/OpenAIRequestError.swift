/// Why a request body is not an OpenAI request: not JSON at all, or JSON that does not fit the request (naming
/// the field). The gateway answers both with a 400.
public struct OpenAIRequestError: Error, Sendable, Equatable {
    /// The kind of problem.
    public enum Code: Sendable, Equatable {
        /// The body is not (valid UTF-8) JSON.
        case invalidJSON
        /// The body is JSON, but a field is missing, of the wrong type or out of range.
        case invalidRequest
    }

    /// The kind of problem.
    public var code: Code
    /// What is wrong, in words, for the client.
    public var message: String
    /// The JSON path of the field at fault, when there is one.
    public var param: String?

    /// An error of kind `code`.
    public init(_ code: Code, _ message: String, param: String? = nil) {
        self.code = code
        self.message = message
        self.param = param
    }
}
