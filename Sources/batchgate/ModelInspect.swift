import ArgumentParser
import Foundation
import GGUF
import Tokenizers

/// `batchgate model inspect FILE`: architecture, hyper-parameters, tensors, tokenizer and chat template of a GGUF file.
struct ModelInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a GGUF model or vocabulary file.",
        discussion: "Works on vocabulary-only files too (no tensors)."
    )

    @Argument(help: "The GGUF file.")
    var file: String

    @Flag(help: "Print JSON instead of plain text.")
    var json = false

    /// Hyper-parameter keys shown, relative to `{architecture}.`.
    static let hyperParameterKeys = [
        "context_length", "embedding_length", "block_count", "attention.head_count", "attention.head_count_kv",
        "feed_forward_length", "rope.freq_base", "attention.layer_norm_rms_epsilon",
    ]

    func run() throws {
        let gguf: GGUFFile
        do {
            gguf = try GGUFFile(path: file)
        } catch {
            ModelCommand.printError("error: \(error)")
            throw ExitCode.failure
        }
        let metadata = gguf.metadata
        let architecture = metadata.string("general.architecture")
        var hyper: [(String, Any)] = []
        if let architecture {
            for key in Self.hyperParameterKeys {
                guard let value = metadata["\(architecture).\(key)"] else { continue }
                if let int = value.intValue {
                    hyper.append((key, int))
                } else if case .float32(let float) = value {
                    // The shortest decimal that reads back as this Float (1e-06, not 9.999999974752427e-07).
                    hyper.append((key, Double("\(float)") ?? Double(float)))
                } else if let double = value.doubleValue {
                    hyper.append((key, double))
                }
            }
        }
        var tensorCounts: [String: Int] = [:]
        var tensorBytes = 0
        for tensor in gguf.tensors {
            tensorCounts["\(tensor.type)", default: 0] += 1
            tensorBytes += tensor.byteCount
        }

        var tokenizerInfo: [String: Any] = [:]
        var tokenizerError: String?
        var templateFamily = "none"
        var defaultSystemPrompt: String?
        do {
            let vocabulary = try Vocabulary(file: gguf)
            let tokenizer = Tokenizer(vocabulary: vocabulary)
            tokenizerInfo["kind"] = vocabulary.model.rawValue
            tokenizerInfo["pre"] = vocabulary.preTokenizerName ?? "(none)"
            tokenizerInfo["vocab_size"] = vocabulary.count
            tokenizerInfo["add_bos"] = vocabulary.addBOS
            var specials: [String: Any] = [:]
            for (name, id) in [("bos", vocabulary.bos), ("eos", vocabulary.eos), ("eot", vocabulary.eot)] {
                guard let id else { continue }
                specials[name] = ["id": Int(id), "text": tokenizer.tokenText(id) ?? ""]
            }
            tokenizerInfo["special"] = specials
            if vocabulary.chatTemplate != nil {
                let detected = ChatTemplate.detect(vocabulary.chatTemplate)
                templateFamily = detected?.family.rawValue ?? "unrecognised"
                defaultSystemPrompt = detected?.defaultSystemPrompt
            }
        } catch {
            tokenizerError = error.description
        }

        if json {
            var object: [String: Any] = [
                "file": file,
                "architecture": architecture ?? NSNull(),
                "hyper_parameters": Dictionary(uniqueKeysWithValues: hyper),
                "tensor_count": gguf.tensors.count,
                "tensor_types": tensorCounts,
                "tensor_bytes": tensorBytes,
                "file_bytes": gguf.mapping.bytes.count,
                "chat_template": templateFamily,
                "default_system_prompt": defaultSystemPrompt ?? NSNull(),
            ]
            object["tokenizer"] = tokenizerError.map { ["error": $0] } ?? tokenizerInfo
            print(ModelCommand.json(object))
            return
        }
        print("file: \(file)")
        print("architecture: \(architecture ?? "(none)")")
        for (key, value) in hyper { print("  \(key): \(value)") }
        let types = tensorCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("tensors: \(gguf.tensors.count)\(types.isEmpty ? "" : " (\(types))"), \(Self.size(tensorBytes))")
        print("file size: \(Self.size(gguf.mapping.bytes.count))")
        if let tokenizerError {
            print("tokenizer: error: \(tokenizerError)")
        } else {
            print("tokenizer: \(tokenizerInfo["kind"] ?? "") (pre-tokenizer \(tokenizerInfo["pre"] ?? ""))")
            print("vocab size: \(tokenizerInfo["vocab_size"] ?? 0)")
            if let specials = tokenizerInfo["special"] as? [String: Any] {
                for name in ["bos", "eos", "eot"] {
                    guard let entry = specials[name] as? [String: Any] else { continue }
                    print("  \(name): \(entry["id"] ?? "") \(String(reflecting: entry["text"] as? String ?? ""))")
                }
            }
        }
        print("chat template: \(templateFamily)")
        if let defaultSystemPrompt { print("  default system prompt: \(String(reflecting: defaultSystemPrompt))") }
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? String(format: "%.1f MiB", Double(bytes) / 1_048_576) : "\(bytes) bytes"
    }
}
