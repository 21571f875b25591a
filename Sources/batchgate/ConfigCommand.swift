import ArgumentParser
import BatchgateConfig
import Foundation

/// `batchgate config …`: work with configuration files.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with configuration files.",
        subcommands: [Check.self, Reload.self]
    )

    /// `batchgate config check FILE`: load and validate a configuration exactly as `serve` would.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a configuration file and report every problem.",
            discussion: """
                Problems are printed to standard error as FILE:LINE:COLUMN: KEYPATH: MESSAGE, one per line, \
                followed by a count; the exit status is 1 when there are any. Model files, certificates and keys \
                named in the file are checked on disk; each model is opened as its workers will open it.
                """
        )

        @Argument(help: "The configuration file (YAML).")
        var file: String

        func run() throws {
            do {
                let configuration = try ConfigLoader.load(path: file)
                let problems = ModelFileCheck.problems(in: configuration)
                if !problems.isEmpty {
                    for problem in problems { ConfigCommand.printError("\(file): \(problem)") }
                    let count = problems.count
                    ConfigCommand.printError(
                        "\(count) \(count == 1 ? "model" : "models") in \(file) cannot be served")
                    throw ExitCode.failure
                }
                let models = configuration.models.count
                let keys = configuration.keys.count
                print(
                    "\(file): OK (\(models) \(models == 1 ? "model" : "models"), \(keys) \(keys == 1 ? "key" : "keys"))"
                )
                for warning in configuration.warnings {
                    ConfigCommand.printError(warning.description)
                }
            } catch let error as ConfigError {
                for issue in error.issues {
                    ConfigCommand.printError(issue.description)
                }
                if error.code == .invalidConfiguration {
                    let count = error.issues.count
                    ConfigCommand.printError("\(count) \(count == 1 ? "problem" : "problems") found in \(file)")
                }
                throw ExitCode.failure
            }
        }
    }
}

extension ConfigCommand {
    /// Writes one line to standard error (used by the `config` and `keys` commands).
    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
