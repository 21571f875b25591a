/// One problem found in a configuration file, with the place it was found.
///
/// Rendered one per line as `FILE:LINE:COLUMN: KEYPATH: MESSAGE`, the format compilers use, so editors can jump to it.
public struct ConfigIssue: Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem this is; stable, so tests and tools can match on it.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The stable snake_case label of the code.
        public let rawValue: String

        /// Creates a code from its snake_case label.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// A key that the enclosing mapping does not allow.
        public static let unknownKey = Code(rawValue: "unknown_key")
        /// A value of the wrong YAML type (a string where an integer belongs, a mapping where a list belongs).
        public static let wrongType = Code(rawValue: "wrong_type")
        /// A required key is absent.
        public static let missingKey = Code(rawValue: "missing_key")
        /// A value of the right type that is not acceptable (bad enum value, bad duration, bad name).
        public static let invalidValue = Code(rawValue: "invalid_value")
        /// A number outside its allowed range.
        public static let outOfRange = Code(rawValue: "out_of_range")
        /// A name or digest defined twice.
        public static let duplicate = Code(rawValue: "duplicate")
        /// A reference to a model that is not configured, or not allowed to the key.
        public static let unknownModel = Code(rawValue: "unknown_model")
        /// A file that does not exist.
        public static let fileMissing = Code(rawValue: "file_missing")
        /// A file that exists but cannot be read (a directory, no permission).
        public static let fileUnreadable = Code(rawValue: "file_unreadable")
        /// A model file that does not start with the `GGUF` magic.
        public static let notGGUF = Code(rawValue: "not_gguf")
        /// A SHA-256 digest that is not 64 hexadecimal characters.
        public static let malformedDigest = Code(rawValue: "malformed_digest")
        /// The file is not well-formed YAML.
        public static let yamlSyntax = Code(rawValue: "yaml_syntax")
        /// Warning: no API keys are configured, so every request is refused.
        public static let noAPIKeys = Code(rawValue: "no_api_keys")
        /// Warning: an API key has already expired.
        public static let expiredKey = Code(rawValue: "expired_key")
        /// Warning: the listener serves plain HTTP.
        public static let plaintext = Code(rawValue: "plaintext")

        /// The snake_case label.
        public var description: String { rawValue }
    }

    /// Whether the problem stops the configuration from loading.
    public enum Severity: String, Sendable, Equatable {
        /// The configuration is rejected.
        case error
        /// The configuration loads, but the operator should look.
        case warning
    }

    /// The configuration file as it was named to the loader.
    public var file: String
    /// 1-based line of the node the problem is about; 0 when unknown.
    public var line: Int
    /// 1-based column of the node the problem is about; 0 when unknown.
    public var column: Int
    /// Where in the document, e.g. `models[1].workers`; empty for the document itself.
    public var keyPath: String
    /// What is wrong, in one sentence without a trailing period.
    public var message: String
    /// The kind of problem.
    public var code: Code
    /// Error or warning.
    public var severity: Severity

    /// Creates an issue.
    public init(
        file: String,
        line: Int,
        column: Int,
        keyPath: String,
        message: String,
        code: Code,
        severity: Severity = .error
    ) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
        self.code = code
        self.severity = severity
    }

    /// `FILE:LINE:COLUMN: KEYPATH: MESSAGE`, with `warning: ` before the key path for warnings.
    ///
    /// Problems with the document as a whole (YAML syntax, an empty or unreadable file) have no key path and print
    /// as `FILE:LINE:COLUMN: MESSAGE`; without a known position, `FILE: MESSAGE`.
    public var description: String {
        var text = line > 0 ? "\(file):\(line):\(column): " : "\(file): "
        if severity == .warning { text += "warning: " }
        if !keyPath.isEmpty { text += "\(keyPath): " }
        return text + message
    }
}

/// The configuration was rejected; `issues` lists every problem found, in file order.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why loading failed.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The stable snake_case label of the code.
        public let rawValue: String

        /// Creates a code from its snake_case label.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The configuration file itself could not be read.
        public static let unreadableFile = Code(rawValue: "unreadable_file")
        /// The file was read but has problems; see `issues`.
        public static let invalidConfiguration = Code(rawValue: "invalid_configuration")

        /// The snake_case label.
        public var description: String { rawValue }
    }

    /// Why loading failed.
    public var code: Code
    /// Every problem found, in file order (line, then column).
    public var issues: [ConfigIssue]

    /// Creates an error from the problems found.
    public init(code: Code, issues: [ConfigIssue]) {
        self.code = code
        self.issues = issues
    }

    /// One rendered issue per line.
    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }
}
