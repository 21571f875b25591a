import BatchgateTestSupport
import Foundation
import GGUF
import Synchronization
import Testing

@testable import InferenceCore

/// Builds small random-weight models for the engine tests, from `batchgate model create`-style arguments.
enum EngineTestSupport {
    /// The vocab fixture `name`, from `.cache/fixtures` or `/work/shared/fixtures`, or nil when neither has it.
    static func vocabPath(_ name: String) -> String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for dir in [root.appendingPathComponent(".cache/fixtures").path, "/work/shared/fixtures"] {
            let path = dir + "/" + name
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    /// Whether the two vocab files the engine tests use are present.
    static let haveVocabs = vocabPath("ggml-vocab-qwen2.gguf") != nil && vocabPath("ggml-vocab-llama-spm.gguf") != nil

    private static let cache = Mutex<[String: String]>([:])

    /// The path of a model built from `arguments` (`--arch A --vocab FILE --dim …`, the options of `batchgate model
    /// create`), built once per test process.
    static func model(_ arguments: [String]) throws -> String {
        let key = arguments.joined(separator: " ")
        if let path = cache.withLock({ $0[key] }) { return path }
        var options: [String: String] = [:]
        var flags = Set<String>()
        var i = 0
        while i < arguments.count {
            let name = String(arguments[i].dropFirst(2))
            if name == "tied" || name == "rope-freqs" {
                flags.insert(name)
                i += 1
            } else {
                options[name] = arguments[i + 1]
                i += 2
            }
        }
        func int(_ name: String, _ fallback: Int) -> Int { options[name].flatMap(Int.init) ?? fallback }
        let arch = ModelArchitecture(rawValue: options["arch"] ?? "llama")!
        let scaling = RopeScaling(
            kind: RopeScaling.Kind(rawValue: options["rope-scaling"] ?? "none")!,
            factor: options["rope-scaling-factor"].flatMap(Float.init) ?? 1,
            originalContextLength: options["original-context"].flatMap(Int.init))
        let hyperparameters = ModelHyperparameters(
            architecture: arch, embeddingLength: int("dim", 256), blockCount: int("layers", 4),
            headCount: int("heads", 8), headCountKV: int("kv-heads", 4), feedForwardLength: int("ff", 768),
            contextLength: int("context", 2048), tiedEmbeddings: flags.contains("tied"),
            headWidth: options["head-dim"].flatMap(Int.init), ropeScaling: scaling)
        // Uniform types as `model create --type` takes them; any other name is llama-quantize's mix of it.
        let types: [String: GGMLType] = [
            "f32": .f32, "f16": .f16, "bf16": .bf16, "q8_0": .q8_0, "q4_0": .q4_0, "q4_1": .q4_1,
        ]
        let typeName = options["type"] ?? "f16"
        let mix = types[typeName] == nil ? QuantizationFileType(name: typeName) : nil
        let tokenizer: GGUFMetadata
        if let small = options["vocab"].flatMap({ $0.hasPrefix("small-") ? Int($0.dropFirst(6)) : nil }) {
            tokenizer = try smallVocab(small)
        } else {
            tokenizer = try RandomModelBuilder.tokenizerMetadata(
                fromVocabAt: try #require(vocabPath(options["vocab"] ?? "")))
        }
        var builder = RandomModelBuilder(
            hyperparameters: hyperparameters, tensorType: mix == nil ? try #require(types[typeName]) : .f32,
            seed: UInt64(options["seed"] ?? "1")!, tokenizer: tokenizer, quantization: mix)
        builder.ropeFrequencyFactors = flags.contains("rope-freqs")
        let dir = URL(fileURLWithPath: try ProcessScratchDirectory.make(prefix: "engine-tests"))
        // A name of its own: two models built at once must never share a file.
        let path = dir.appendingPathComponent("model-\(UUID().uuidString).gguf").path
        try builder.write(to: path)
        cache.withLock { $0[key] = path }
        return path
    }

    /// Tokens in the vocabulary of `tinyLlama`.
    static let tinyVocabulary = 512

    /// A tiny llama model on the first 512 tokens of the llama-spm vocab, for the engine's behaviour tests.
    static func tinyLlama(type: String = "f16", context: Int = 256) throws -> String {
        try model([
            "--arch", "llama", "--vocab", "small-\(tinyVocabulary)", "--dim", "64", "--layers", "2", "--heads", "4",
            "--kv-heads", "2", "--ff", "128", "--context", "\(context)", "--type", type, "--seed", "5",
        ])
    }
}

extension EngineTestSupport {
    /// Tokenizer metadata of the llama-spm vocab cut to its first `count` tokens: a real-looking but small
    /// vocabulary, so behaviour tests do not spend their time in a 32000-row output projection.
    static func smallVocab(_ count: Int) throws -> GGUFMetadata {
        let full = try RandomModelBuilder.tokenizerMetadata(
            fromVocabAt: try #require(vocabPath("ggml-vocab-llama-spm.gguf")))
        var metadata = GGUFMetadata()
        for (key, value) in full.entries {
            if key == "tokenizer.ggml.tokens" || key == "tokenizer.ggml.scores" || key == "tokenizer.ggml.token_type",
                case .array(let type, let items) = value
            {
                metadata[key] = .array(elementType: type, values: Array(items.prefix(count)))
            } else if key.hasPrefix("tokenizer.ggml.") && !key.hasSuffix("merges") {
                metadata[key] = value
            }
        }
        return metadata
    }
}
