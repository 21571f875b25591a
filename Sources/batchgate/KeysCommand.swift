import ArgumentParser
import BatchgateConfig
import Foundation

/// `batchgate keys …`: create API keys and compute the digests the configuration stores.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create API keys and compute their SHA-256 digests.",
        subcommands: [Create.self, Hash.self]
    )

    /// `batchgate keys create`: a new random key, shown once, and the YAML entry to paste under `keys:`.
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a new API key and print the configuration entry for it.",
            discussion: """
                The key itself is printed once and never stored: the configuration keeps only its SHA-256 digest.
                """
        )

        @Option(help: "Name of the key in logs and metrics (default: key- and the first 8 hex digits of its digest).")
        var name: String?

        @Option(help: "Comma-separated models the key may use (default: *, all models).")
        var models: String?

        @Flag(help: "Print {\"key\", \"sha256\", \"name\"} as JSON instead of text.")
        var json = false

        func validate() throws {
            if let name, name.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationError("--name must not be empty")
            }
            if models != nil, modelList.isEmpty {
                throw ValidationError("--models must name at least one model, or *")
            }
        }

        var modelList: [String] {
            guard let models else { return ["*"] }
            return models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        func run() throws {
            let key = APIKeyDigest.generateKey()
            let digest = APIKeyDigest.sha256Hex(of: key)
            let keyName = name ?? "key-" + digest.prefix(8)
            if json {
                let output = CreatedKey(key: key, sha256: digest, name: keyName)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(output), as: UTF8.self))
                return
            }
            let quotedModels = modelList.map(yamlQuoted).joined(separator: ", ")
            print(
                """
                New API key (shown only once; Batchgate stores only its SHA-256, so save it now):

                    \(key)

                Paste this under `keys:` in the configuration:

                  - name: \(yamlQuoted(keyName))
                    sha256: "\(digest)"
                    models: [\(quotedModels)]
                """
            )
        }
    }

    /// `batchgate keys hash`: the SHA-256 of a key read from standard input (or `--key`).
    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the SHA-256 digest of an API key read from standard input.",
            discussion: """
                Reading the key from standard input keeps it out of the shell history: \
                `batchgate keys hash < key.txt`. Surrounding whitespace is ignored.
                """
        )

        @Option(help: "The key (it will appear in the shell history and process list; prefer standard input).")
        var key: String?

        func run() throws {
            let raw = key ?? readLine(strippingNewline: true) ?? ""
            let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else {
                ConfigCommand.printError("error: no key given: pipe one to standard input or pass --key")
                throw ExitCode.failure
            }
            print(APIKeyDigest.sha256Hex(of: trimmed))
        }
    }
}

/// The JSON printed by `keys create --json`.
private struct CreatedKey: Encodable {
    let key: String
    let sha256: String
    let name: String
}

/// A YAML double-quoted scalar.
private func yamlQuoted(_ text: String) -> String {
    var escaped = ""
    for character in text.unicodeScalars {
        switch character {
        case "\"": escaped += "\\\""
        case "\\": escaped += "\\\\"
        case "\n": escaped += "\\n"
        case "\t": escaped += "\\t"
        default:
            if character.value < 0x20 {
                escaped += String(format: "\\x%02X", character.value)
            } else {
                escaped.unicodeScalars.append(character)
            }
        }
    }
    return "\"\(escaped)\""
}
