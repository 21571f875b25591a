import ArgumentParser
import CShims
import Foundation
import GGUF
import InferenceCore
import Tokenizers

/// `batchgate generate MODEL`: run one prompt through the inference engine and print the continuation as it is
/// generated (or, with `--json`, one object with the tokens, the text and each token's log-probability).
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a continuation of a prompt with the CPU inference engine."
    )

    @Argument(help: "The model (.gguf: llama, qwen, qwen2 or qwen3).")
    var model: String

    @Option(help: "The prompt text (tokenized with the model's tokenizer).")
    var prompt: String?

    @Option(name: .customLong("prompt-tokens"), help: "The prompt as comma-separated token ids.")
    var promptTokens: String?

    @Flag(help: "Wrap the prompt as one user message in the model's chat template.")
    var chat = false

    @Option(name: .customLong("max-tokens"), help: "Most tokens to generate.")
    var maxTokens: Int = 64

    @Option(help: "Sampling temperature (0: greedy).")
    var temperature: Float = 0

    @Option(name: .customLong("top-k"), help: "Keep the K most likely tokens (0: all).")
    var topK: Int = 0

    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold.")
    var topP: Float = 1

    @Option(help: "Seed of the sampler.")
    var seed: UInt64 = 0

    @Option(help: "Compute threads.")
    var threads: Int = 2

    @Flag(help: "Print one JSON object {tokens, text, logprobs} at the end instead of streaming text.")
    var json = false

    func validate() throws {
        guard (prompt == nil) != (promptTokens == nil) else {
            throw ValidationError("give exactly one of --prompt and --prompt-tokens")
        }
        guard maxTokens >= 1, threads >= 1 else { throw ValidationError("--max-tokens and --threads must be ≥ 1") }
    }

    func run() async throws {
        do {
            try generate()
        } catch let error as EngineError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        } catch let error as TokenizerError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// Tokenizes, admits the prompt, decodes until a stop, printing as it goes.
    func generate() throws {
        var file: GGUFFile
        do {
            file = try GGUFFile(path: model)
        } catch {
            throw EngineError(.invalidModel, "\(error)")
        }
        let tokenizer = try? Tokenizer(file: file)
        // The tokenizer keeps what it needs of the vocabulary's arrays; the parsed copies in the metadata (about
        // 11 MB for Qwen2's 151,936 tokens and merges) would only add to resident memory while generating.
        for key in Vocabulary.arrayKeys { file.removeMetadata(forKey: key) }
        let weights = try ModelWeights(file: file)
        var tokens: [Int32]
        if let promptTokens {
            tokens = []
            for part in promptTokens.split(separator: ",") {
                guard let id = Int32(part.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--prompt-tokens: '\(part)' is not a token id")
                }
                tokens.append(id)
            }
        } else {
            guard let tokenizer else { throw ValidationError("the model has no usable tokenizer; use --prompt-tokens") }
            if chat {
                let template = try ChatTemplate.resolve(configured: nil, vocabulary: tokenizer.vocabulary)
                tokens = try template.render(
                    messages: [ChatMessage(role: .user, content: prompt!)], tokenizer: tokenizer)
            } else {
                tokens = tokenizer.encode(prompt!, addSpecial: true, parseSpecial: false)
            }
        }
        var options = EngineOptions()
        options.threads = threads
        let h = weights.hyperparameters
        let kvBytes = (tokens.count + maxTokens + 16) * h.blockCount * h.kvDimension * 4
        options.kvCacheMiB = max(1, (kvBytes + 1_048_575) / 1_048_576 + 1)
        let engine = Engine(weights: weights, options: options)
        // Reading the vocabulary leaves freed small blocks all over the heap (temporary strings and tables); give
        // their pages back before generating, so that resident memory is the model, the cache and what is in use.
        _ = bg_release_free_heap()
        var sampling = SamplingParameters()
        sampling.temperature = temperature
        sampling.topK = topK
        sampling.topP = topP
        sampling.seed = seed
        sampling.maxTokens = maxTokens
        var detokenizer = tokenizer.map { StreamingDetokenizer(tokenizer: $0) }
        var output = try engine.step(StepBatch(admits: [.init(sequence: 1, tokens: tokens, sampling: sampling)]))
        var generated: [Int32] = []
        var logprobs: [Float] = []
        var text = ""
        while true {
            let result = output.results[0]
            generated.append(result.token.token)
            logprobs.append(result.token.logprob)
            if let piece = try detokenizer?.feed(result.token.token) {
                text += piece
                if !json {
                    FileHandle.standardOutput.write(Data(piece.utf8))
                }
            }
            if result.finishReason != nil { break }
            output = try engine.step(StepBatch(decodes: [1]))
        }
        if let rest = detokenizer?.finish() {
            text += rest
            if !json { FileHandle.standardOutput.write(Data(rest.utf8)) }
        }
        if json {
            let object: [String: Any] = [
                "tokens": generated.map { Int($0) }, "text": text, "logprobs": logprobs.map { Double($0) },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print()
        }
    }
}
