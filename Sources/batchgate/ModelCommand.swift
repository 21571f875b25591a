import ArgumentParser
import Foundation
import Tokenizers

/// `batchgate model …`: look inside GGUF model files and exercise their tokenizers.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect, create and benchmark GGUF model files and run their tokenizers.",
        subcommands: [
            ModelInspect.self, ModelTokenize.self, ModelCreate.self, ModelQuantize.self, ModelTokenizeBench.self,
            ModelBench.self, ModelPipelineBench.self,
        ]
    )

    /// Writes one line to standard error.
    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Opens the tokenizer of `file`, printing a clear error and exiting non-zero on failure.
    static func loadTokenizer(_ file: String) throws -> Tokenizer {
        do {
            return try Tokenizer(path: file)
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
    }

    /// Serializes `object` as one line of JSON with sorted keys.
    static func json(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
