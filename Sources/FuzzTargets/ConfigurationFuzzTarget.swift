import BatchgateConfig
import Foundation

extension FuzzTarget {
    /// The configuration loader: any text (invalid UTF-8 replaced, as a file read would refuse it earlier) loads or
    /// throws a `ConfigError` with at least one issue, each placed in the file (line and column not negative).
    /// Relative paths resolve against an empty folder, so named files are missing rather than read.
    public static let configuration = FuzzTarget(name: "config", summary: "ConfigLoader.parse") {
        bytes throws(FuzzFailure) in
        let text = String(decoding: bytes, as: UTF8.self)
        do throws(ConfigError) {
            _ = try ConfigLoader.parse(yaml: text, file: "fuzz.yaml", baseDirectory: emptyDirectory)
        } catch {
            guard !error.issues.isEmpty else { throw FuzzFailure("a ConfigError without issues") }
            for issue in error.issues where issue.line < 0 || issue.column < 0 {
                throw FuzzFailure("an issue at line \(issue.line), column \(issue.column): \(issue.message)")
            }
        }
    }

    /// A folder with nothing in it, made once per process.
    private static let emptyDirectory: String = {
        let path = NSTemporaryDirectory() + "batchgate-fuzz-config-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()
}
