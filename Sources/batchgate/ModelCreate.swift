import ArgumentParser
import Foundation
import GGUF
import InferenceCore

/// `batchgate model create OUT`: write a GGUF model with random weights and a real tokenizer, for tests and
/// benchmarks that need llama.cpp-compatible files without downloading a model.
struct ModelCreate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Write a random-weight llama, qwen, qwen2 or qwen3 model (GGUF) with the tokenizer of a vocab file.",
        discussion: """
            Sizes not given make a small model (dim 256, 4 layers, 8 heads, 4 kv heads, ff 768, context 2048). \
            The same arguments always give the same bytes. Example with Qwen2-0.5B's shapes:
              batchgate model create qwen2-0.5b.gguf --arch qwen2 --vocab ggml-vocab-qwen2.gguf \\
                --dim 896 --layers 24 --heads 14 --kv-heads 2 --ff 4864 --tied --type q8_0
            Qwen3-0.6B's shapes (heads wider than dim/heads):
              batchgate model create qwen3-0.6b.gguf --arch qwen3 --vocab ggml-vocab-qwen2.gguf \\
                --dim 1024 --layers 28 --heads 16 --kv-heads 8 --head-dim 128 --ff 3072 --tied
            A Qwen2.5 long-context file (YaRN, 4 × 32768) and a Llama 3.1 one (rope_freqs.weight):
              ... --arch qwen2 --rope-scaling yarn --rope-scaling-factor 4 --original-context 32768 --context 131072
              ... --arch llama --rope-freqs
            """
    )

    @Argument(help: "Where to write the model (.gguf); replaced atomically.")
    var output: String

    @Option(
        help: """
            Architecture: llama, qwen (fused attn_qkv with bias; --kv-heads must equal --heads), qwen2 (q/k/v \
            biases) or qwen3 (per-head q/k RMSNorm).
            """)
    var arch: String

    @Option(help: "A GGUF file whose tokenizer.* metadata is copied (e.g. a llama.cpp ggml-vocab-*.gguf).")
    var vocab: String

    @Option(
        name: .customLong("vocab-size"),
        help: "Grow the vocabulary to this many tokens with plain <extra_N> tokens (e.g. 64000 for Yi's shape).")
    var vocabSize: Int?

    @Option(help: "Embedding width.")
    var dim: Int = 256

    @Option(help: "Number of transformer blocks.")
    var layers: Int = 4

    @Option(help: "Attention heads.")
    var heads: Int = 8

    @Option(name: .customLong("kv-heads"), help: "Key/value heads (divides --heads).")
    var kvHeads: Int = 4

    @Option(
        help: "Feed-forward hidden width (qwen files state twice this as feed_forward_length, as llama.cpp expects).")
    var ff: Int = 768

    @Option(
        name: .customLong("head-dim"),
        help: "Width of each attention head, when not dim/heads (llama and qwen3; written as attention.key_length).")
    var headDim: Int?

    @Option(help: "Context length.")
    var context: Int = 2048

    @Option(
        name: .customLong("rope-base"),
        help: "RoPE base frequency (default: 10000 for llama and qwen, 1000000 for qwen2 and qwen3).")
    var ropeBase: Float?

    @Flag(help: "Tie the output projection to the token embedding (no output.weight; not for qwen).")
    var tied = false

    @Flag(
        name: .customLong("rope-freqs"),
        help:
            "Add Llama 3.1's rope_freqs.weight: RoPE frequency factors 1 → 8 over the pairs (llama.cpp reads it for llama only)."
    )
    var ropeFreqs = false

    @Option(
        name: .customLong("rope-scaling"),
        help: "RoPE scaling written as rope.scaling.type: none, linear or yarn.")
    var ropeScaling: String = "none"

    @Option(
        name: .customLong("rope-scaling-factor"),
        help: "rope.scaling.factor: how many times the original context the scaled one is (with --rope-scaling).")
    var ropeScalingFactor: Float = 1

    @Option(
        name: .customLong("original-context"),
        help: "rope.scaling.original_context_length: the context before scaling, which places YaRN's ramp.")
    var originalContext: Int?

    @Option(
        help: """
            Type of the weight matrices and embedding: f32, f16, bf16, q8_0, q4_0 or q4_1 (every matrix), or a \
            llama-quantize mix: q5_0, q5_1, q2_k, q3_k_m, q4_k_s, q4_k_m, q5_k_s, q5_k_m, q6_k, iq4_nl, iq4_xs.
            """)
    var type: String = "f16"

    @Option(help: "Seed of the random weights.")
    var seed: UInt64 = 1

    @Option(help: "general.name (default: random-ARCH).")
    var name: String?

    /// The architecture `--arch` names.
    var architecture: ModelArchitecture {
        get throws {
            guard let a = ModelArchitecture(rawValue: arch) else {
                throw ValidationError("--arch must be one of \(ModelArchitecture.supportedNames), not '\(arch)'")
            }
            return a
        }
    }

    /// The tensor type `--type` names.
    var tensorType: GGMLType {
        get throws {
            let types: [String: GGMLType] = [
                "f32": .f32, "f16": .f16, "bf16": .bf16, "q8_0": .q8_0, "q4_0": .q4_0, "q4_1": .q4_1,
            ]
            if let t = types[type.lowercased()] { return t }
            guard quantization != nil else {
                throw ValidationError(
                    "--type must be one of f32, f16, bf16, q8_0, q4_0, q4_1, \(Self.mixes.joined(separator: ", ")), "
                        + "not '\(type)'")
            }
            return .f32  // what a mix starts from: it picks each matrix's type, with fallbacks for any row length
        }
    }

    /// The RoPE scaling `--rope-scaling`, `--rope-scaling-factor` and `--original-context` describe.
    var scaling: RopeScaling {
        get throws {
            guard let kind = RopeScaling.Kind(rawValue: ropeScaling) else {
                throw ValidationError("--rope-scaling must be none, linear or yarn, not '\(ropeScaling)'")
            }
            if kind == .none && (ropeScalingFactor != 1 || originalContext != nil) {
                throw ValidationError("--rope-scaling-factor and --original-context need --rope-scaling linear or yarn")
            }
            return RopeScaling(kind: kind, factor: ropeScalingFactor, originalContextLength: originalContext)
        }
    }

    /// The llama-quantize mixes `--type` accepts besides the uniform types.
    static let mixes = QuantizationFileType.allCases.map(\.rawValue).filter { !["q8_0", "q4_0", "q4_1"].contains($0) }

    /// The llama-quantize mix `--type` names, or nil for a uniform type.
    var quantization: QuantizationFileType? {
        Self.mixes.contains(type.lowercased()) ? QuantizationFileType(name: type) : nil
    }

    /// The hyperparameters the options describe.
    var hyperparameters: ModelHyperparameters {
        get throws {
            ModelHyperparameters(
                architecture: try architecture, embeddingLength: dim, blockCount: layers, headCount: heads,
                headCountKV: kvHeads, feedForwardLength: ff, contextLength: context, ropeFreqBase: ropeBase,
                tiedEmbeddings: tied, headWidth: headDim, ropeScaling: try scaling)
        }
    }

    func validate() throws {
        let h = try hyperparameters
        do {
            try h.validate()
            try h.validate(tensorType: try tensorType)
        } catch let error as ModelBuildError {
            throw ValidationError(error.detail)
        }
        if ropeFreqs && !h.architecture.readsRopeFrequencyFactors {
            throw ValidationError("--rope-freqs is for llama: llama.cpp's \(arch) graph ignores rope_freqs.weight")
        }
    }

    func run() throws {
        let started = ContinuousClock.now
        do {
            var tokenizer = try RandomModelBuilder.tokenizerMetadata(fromVocabAt: vocab)
            if let vocabSize { tokenizer = try RandomModelBuilder.tokenizer(tokenizer, grownTo: vocabSize) }
            var builder = RandomModelBuilder(
                hyperparameters: try hyperparameters, tensorType: try tensorType, seed: seed, tokenizer: tokenizer,
                name: name, quantization: quantization)
            builder.ropeFrequencyFactors = ropeFreqs
            let parameters = try builder.parameterCount()
            try builder.write(to: output)
            let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            print(
                "\(output): \(arch) \(type), \(builder.vocabularySize ?? 0) tokens, "
                    + "\(String(format: "%.1f", Double(parameters) / 1e6)) M parameters, "
                    + "\(String(format: "%.1f", Double(size) / 1_048_576)) MiB in \(String(format: "%.1f", seconds)) s")
        } catch let error as ModelBuildError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
