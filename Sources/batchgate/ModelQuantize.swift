import ArgumentParser
import Foundation
import GGUF

/// `batchgate model quantize IN OUT --type TYPE`: quantize an F32/F16/BF16 model the way llama.cpp's
/// llama-quantize does (same tensor types, same bytes), so users can quantize their own fine-tunes.
struct ModelQuantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize an F32, F16 or BF16 GGUF model, byte for byte as llama-quantize does.",
        discussion: """
            Types: \(QuantizationFileType.namesList). Mixed types (q3_k_m, q4_k_m, q5_k_m, ...) pick per tensor \
            as llama-quantize does without an importance matrix; 1-D tensors (norms, biases) stay as they are. \
            The model is streamed: memory stays small whatever its size. Example:
              batchgate model quantize model-f16.gguf model-q4_k_m.gguf --type q4_k_m
            """
    )

    @Argument(help: "The input model (.gguf; F32, F16 or BF16 tensors).")
    var input: String

    @Argument(help: "Where to write the quantized model (.gguf); replaced atomically.")
    var output: String

    @Option(help: "The quantization: \(QuantizationFileType.namesList).")
    var type: String

    @Option(help: "Threads for the quantization searches (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    /// The file type `--type` names.
    var fileType: QuantizationFileType {
        get throws {
            guard let t = QuantizationFileType(name: type) else {
                throw ValidationError("--type must be one of \(QuantizationFileType.namesList), not '\(type)'")
            }
            return t
        }
    }

    func validate() throws {
        _ = try fileType
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let started = ContinuousClock.now
        let fileType = try fileType
        do {
            let quantizer = try ModelQuantizer(inputPath: input, fileType: fileType)
            Self.say("\(input) -> \(output): \(fileType), \(quantizer.steps.count) tensors, \(threads) threads")
            var inputBytes = 0
            var outputBytes = 0
            try quantizer.write(to: output, threads: threads) { step in
                inputBytes += step.inputBytes
                outputBytes += step.outputBytes
                let width = String(step.count).count
                let index = String(repeating: " ", count: width - String(step.index).count) + String(step.index)
                let change = step.from == step.to ? "\(step.from) (kept)" : "\(step.from) -> \(step.to)"
                Self.say(
                    "[\(index)/\(step.count)] \(step.name.padding(toLength: 28, withPad: " ", startingAt: 0)) "
                        + "\(step.shape.map(String.init).joined(separator: " x ")), \(change), "
                        + "\(Self.mebibytes(step.inputBytes)) -> \(Self.mebibytes(step.outputBytes)) MiB")
            }
            let seconds = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
            Self.say(
                "done: \(Self.mebibytes(inputBytes)) MiB -> \(Self.mebibytes(outputBytes)) MiB of tensor data "
                    + "(\(String(format: "%.1f", Double(outputBytes) / Double(max(inputBytes, 1)) * 100)) %) "
                    + "in \(String(format: "%.2f", seconds)) s")
        } catch {
            ModelCommand.printError("error: \(error)")
            throw ExitCode.failure
        }
    }

    /// Writes one line to standard output at once (unbuffered, so progress shows as it happens).
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// `bytes` in MiB with two decimals.
    static func mebibytes(_ bytes: Int) -> String {
        String(format: "%.2f", Double(bytes) / 1_048_576)
    }
}
