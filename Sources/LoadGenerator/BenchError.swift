/// A load-generator failure that stops a run before or while it starts (bad input, unusable target).
public struct BenchError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure it is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A value that could not be parsed (duration, length, SLO, JSONL line).
        public static let invalidArgument = Code("invalid_argument")
        /// The target did not answer a set-up call (`/tokenize`, `/v1/models`) usably.
        public static let targetUnusable = Code("target_unusable")
        /// A file could not be read or written, or held something else than expected.
        public static let file = Code("file")

        /// The stable snake_case label.
        public let label: String
        private init(_ label: String) { self.label = label }
        /// The label.
        public var description: String { label }
    }

    /// The kind.
    public var code: Code
    /// What went wrong, for a person.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
