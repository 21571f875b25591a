import Foundation
import Yams

/// Reads a configuration file into a ``BatchgateConfiguration``, collecting every problem with its file, line,
/// column and key path.
///
/// `batchgate config check` and `batchgate serve` both load through here, so they accept and reject the same files.
public enum ConfigLoader {
    /// The top-level keys, in the order the documentation lists them.
    public static let topLevelKeys = ["listener", "tls", "models", "keys", "metrics", "logging", "tracing", "cluster"]

    /// Loads the file at `path`; relative paths inside it are resolved against the file's directory.
    ///
    /// - Throws: ``ConfigError`` listing every problem, in file order.
    public static func load(path: String) throws(ConfigError) -> BatchgateConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason: String
            switch FileProbe.probe(path) {
            case .missing: reason = "no such file"
            case .unreadable(let why): reason = why
            case .readable: reason = "not valid UTF-8"
            }
            let issue = ConfigIssue(
                file: path,
                line: 0,
                column: 0,
                keyPath: "",
                message: "cannot read the configuration file: \(reason)",
                code: .fileUnreadable
            )
            throw ConfigError(code: .unreadableFile, issues: [issue])
        }
        let directory = (path.resolvedPath(relativeTo: FileManager.default.currentDirectoryPath) as NSString)
            .deletingLastPathComponent
        return try parse(yaml: text, file: path, baseDirectory: directory)
    }

    /// Parses and validates configuration text. `file` is only used in messages; relative paths are resolved
    /// against `baseDirectory`, and named files (models, certificates) are checked on disk.
    ///
    /// - Throws: ``ConfigError`` listing every problem, in file order.
    public static func parse(
        yaml: String,
        file: String,
        baseDirectory: String
    ) throws(ConfigError) -> BatchgateConfiguration {
        var reader = NodeReader(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError(code: .invalidConfiguration, issues: [syntaxIssue(error, file: file)])
        }
        guard let root, root.isNull == false else {
            let issue = ConfigIssue(
                file: file,
                line: 1,
                column: 1,
                keyPath: "",
                message: "the configuration is empty; it needs at least 'models' and 'tls'",
                code: .missingKey
            )
            throw ConfigError(code: .invalidConfiguration, issues: [issue])
        }
        let base = baseDirectory.resolvedPath(relativeTo: FileManager.default.currentDirectoryPath)
        let configuration = reader.readConfiguration(root, baseDirectory: base)
        guard reader.issues.isEmpty, let configuration else {
            throw ConfigError(code: .invalidConfiguration, issues: inFileOrder(reader.issues))
        }
        return configuration
    }

    /// Issues sorted by line, then column; issues at the same place keep the order they were found in.
    static func inFileOrder(_ issues: [ConfigIssue]) -> [ConfigIssue] {
        issues.enumerated().sorted { lhs, rhs in
            (lhs.element.line, lhs.element.column, lhs.offset) < (rhs.element.line, rhs.element.column, rhs.offset)
        }.map(\.element)
    }

    private static func syntaxIssue(_ error: any Error, file: String) -> ConfigIssue {
        var line = 0
        var column = 0
        var message = "\(error)"
        var code = ConfigIssue.Code.yamlSyntax
        if let error = error as? YamlError {
            switch error {
            case .scanner(let context, let problem, let mark, _),
                .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                (line, column) = (mark.line, mark.column)
                message = problem
                if let context {
                    message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
                }
            case .duplicatedKeysInMapping(let duplicates, let context):
                (line, column) = (context.mark.line, context.mark.column)
                let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
                message = "duplicate key \(names) in the same mapping"
                code = .duplicate
            case .reader(let problem, _, _, _):
                message = "cannot decode the file: \(problem)"
            default:
                break
            }
        }
        return ConfigIssue(file: file, line: line, column: column, keyPath: "", message: message, code: code)
    }
}

extension NodeReader {
    /// The whole document; `nil` only when the root is not a mapping.
    mutating func readConfiguration(_ root: Node, baseDirectory: String) -> BatchgateConfiguration? {
        guard let fields = fields(root, path: "", allowed: ConfigLoader.topLevelKeys) else { return nil }
        let listener = fields["listener"].map { readListener($0.value, path: $0.path) } ?? .init()
        let tls = readTLSSection(fields, listener: listener, baseDirectory: baseDirectory)
        let models = readModels(fields, baseDirectory: baseDirectory)
        let keys = readKeys(fields, models: models)
        let metrics = fields["metrics"].map { readMetrics($0.value, path: $0.path, listener: listener) } ?? .init()
        let logging = fields["logging"].map { readLogging($0.value, path: $0.path) } ?? .init()
        let tracing = fields["tracing"].map { readTracing($0.value, path: $0.path) } ?? .init()
        let cluster =
            fields["cluster"].map { readCluster($0.value, path: $0.path, baseDirectory: baseDirectory) } ?? .init()
        return BatchgateConfiguration(
            listener: listener,
            tls: tls,
            models: models.models,
            keys: keys,
            metrics: metrics,
            logging: logging,
            tracing: tracing,
            cluster: cluster,
            warnings: ConfigLoader.inFileOrder(warnings)
        )
    }
}
