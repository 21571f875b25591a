import ArgumentParser
import Foundation
import InferenceCore

/// `batchgate model bench MODEL`: prefill and decode speed of the inference engine for several batch sizes.
///
/// For each batch size B, B sequences of `--prompt` random tokens are prefilled (one sequence per step, in
/// chunks of at most 512 tokens; the step that ends a prompt samples its first token), then `--generate` decode
/// steps run all B sequences together. Prefill speed is B × prompt tokens over the prefill time; decode speed is
/// the aggregate B × generate tokens over the decode time. With `--json-schema`, an output that ends early is
/// replaced by a new sequence between timed steps, so every timed step decodes B rows.
struct ModelBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prefill and aggregate decode tokens/s of the inference engine."
    )

    @Argument(help: "The model (.gguf: llama, qwen, qwen2 or qwen3).")
    var model: String

    @Option(help: "Prompt tokens per sequence.")
    var prompt: Int = 512

    @Option(help: "Decode steps per batch size.")
    var generate: Int = 64

    @Option(help: "Comma-separated batch sizes (sequences decoded together).")
    var batch: String = "1,4,16"

    @Option(help: "Compute threads.")
    var threads: Int = 2

    @Option(
        name: .customLong("json-schema"),
        help: "Constrain every sequence's output to this JSON Schema (a file), to measure structured output's cost.")
    var jsonSchema: String?

    @Flag(
        inversion: .prefixedNo,
        help: "Measure the host's memory read bandwidth first and give decode's share of it (weights read per second).")
    var bandwidth = true

    @Flag(
        help:
            "Print one JSON object {model, threads, kernels, read_bandwidth_bytes_per_s, decode_weight_bytes, results: [{batch, prefill_tokens_per_s, decode_tokens_per_s, decode_weight_bytes_per_s, decode_bandwidth_share}]}."
    )
    var json = false

    func validate() throws {
        guard prompt >= 1, generate >= 1, threads >= 1 else {
            throw ValidationError("--prompt, --generate and --threads must be ≥ 1")
        }
        _ = try batchSizes()
    }

    /// The parsed `--batch` list.
    func batchSizes() throws -> [Int] {
        let sizes = batch.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("--batch: expected comma-separated positive integers, got '\(batch)'")
        }
        return sizes.map { $0! }
    }

    func run() async throws {
        let weights: ModelWeights
        do {
            weights = try ModelWeights(path: model)
        } catch {
            ModelCommand.printError("error: \(error)")
            throw ExitCode.failure
        }
        try warmUp(weights: weights)
        // A step reads every weight once for all its sequences: weights read per second = bytes × steps per second.
        let stepBytes = MemoryBandwidth.decodeBytesPerToken(weights)
        let readBandwidth = bandwidth ? MemoryBandwidth.measure(threads: threads) : nil
        if let readBandwidth, !json {
            print(String(format: "memory read bandwidth %.1f GB/s (%d threads)", readBandwidth / 1e9, threads))
        }
        var results: [[String: Any]] = []
        for size in try batchSizes() {
            let (prefill, decode) = try measure(weights: weights, batch: size)
            let weightBytesPerSecond = Double(stepBytes) * decode / Double(size)
            var result: [String: Any] = [
                "batch": size, "prefill_tokens_per_s": prefill, "decode_tokens_per_s": decode,
                "decode_weight_bytes_per_s": weightBytesPerSecond,
            ]
            if let readBandwidth { result["decode_bandwidth_share"] = weightBytesPerSecond / readBandwidth }
            results.append(result)
            if !json {
                let share =
                    readBandwidth.map { String(format: ", %.0f%% of it", 100 * weightBytesPerSecond / $0) } ?? ""
                print(
                    "batch \(size): prefill \(String(format: "%.2f", prefill)) tok/s, "
                        + "decode \(String(format: "%.2f", decode)) tok/s "
                        + "(weights \(String(format: "%.1f", weightBytesPerSecond / 1e9)) GB/s\(share))")
            }
        }
        if json {
            var report: [String: Any] = [
                "model": model, "threads": threads, "kernels": KernelVariant.current, "results": results,
                "decode_weight_bytes": stepBytes,
            ]
            if let readBandwidth { report["read_bandwidth_bytes_per_s"] = readBandwidth }
            print(ModelCommand.json(report))
        }
    }

    /// One untimed pass over every weight before measuring, as llama-bench's warm-up run does: the first pass
    /// over a mapped model takes a page fault for every few pages of it (about 15,000 for the 0.5B Q8_0 file), a
    /// cost a serving worker pays once at start, not per prompt.
    func warmUp(weights: ModelWeights) throws {
        var options = EngineOptions()
        options.threads = threads
        // Room for the five tokens below: one block (about 4 MiB for Yi-34B's 60 layers, so not a fixed 1 MiB).
        let h = weights.hyperparameters
        let block = PagedKVCache.blockBytes(
            layers: h.blockCount, kvDimension: h.kvDimension, blockSize: options.kvBlockSize)
        options.kvCacheMiB = (block + 1_048_575) / 1_048_576
        let engine = Engine(weights: weights, options: options)
        var sampling = SamplingParameters()
        sampling.maxTokens = 2
        sampling.ignoreEOS = true
        _ = try engine.step(StepBatch(admits: [.init(sequence: 1, tokens: [0, 1, 2, 3], sampling: sampling)]))
        _ = try engine.step(StepBatch(decodes: [1]))
    }

    /// Prefill and aggregate decode tokens/s for `batch` sequences, on a fresh engine.
    func measure(weights: ModelWeights, batch: Int) throws -> (prefill: Double, decode: Double) {
        let h = weights.hyperparameters
        var options = EngineOptions()
        options.threads = threads
        let kvBytes = batch * (prompt + generate + 2 * options.kvBlockSize) * h.blockCount * h.kvDimension * 4
        options.kvCacheMiB = max(1, (kvBytes + 1_048_575) / 1_048_576 + 1)
        let engine = Engine(weights: weights, options: options)
        var random = Xoshiro256StarStar(seed: 1)
        var sampling = SamplingParameters()
        sampling.maxTokens = generate + 1
        sampling.ignoreEOS = true
        sampling.penaltyWindow = 0
        if let jsonSchema {
            sampling.constraint = OutputConstraint(.jsonSchema(try String(contentsOfFile: jsonSchema, encoding: .utf8)))
        }
        var prefillSeconds = 0.0
        var nextSequence = 1
        /// Admits a new sequence of random prompt tokens (one step per chunk of at most 512); returns its id and the
        /// seconds its steps took.
        func admit() throws -> (SequenceID, Double) {
            let sequence = SequenceID(nextSequence)
            nextSequence += 1
            let tokens = (0..<prompt).map { _ in Int32(random.next() % UInt64(weights.vocabularySize)) }
            var seconds = 0.0
            var start = 0
            while start < prompt {
                let end = min(prompt, start + 512)
                let admit = StepBatch.Admit(
                    sequence: sequence, position: start, tokens: Array(tokens[start..<end]),
                    isLastChunk: end == prompt, sampling: sampling)
                seconds += try timed {
                    let output = try engine.step(StepBatch(admits: [admit]))
                    if output.results.first?.finishReason != nil { throw ValidationError("a sequence ended at once") }
                }
                start = end
            }
            return (sequence, seconds)
        }
        var sequences: [SequenceID] = []
        for _ in 0..<batch {
            let (sequence, seconds) = try admit()
            sequences.append(sequence)
            prefillSeconds += seconds
        }
        // A constrained output can end before `generate` tokens (its grammar complete). A new sequence takes its
        // place in an untimed step, as a serving worker refills its batch, so every timed step decodes `batch` rows
        // and the two sides compare steps of the same size.
        var decodeSeconds = 0.0
        for _ in 0..<generate {
            var finished: Set<SequenceID> = []
            decodeSeconds += try timed {
                let output = try engine.step(StepBatch(decodes: sequences))
                for result in output.results where result.finishReason != nil { finished.insert(result.sequence) }
            }
            for (index, sequence) in sequences.enumerated() where finished.contains(sequence) {
                engine.release(sequence)
                sequences[index] = try admit().0
            }
        }
        return (Double(batch * prompt) / prefillSeconds, Double(batch * generate) / decodeSeconds)
    }

    /// Wall-clock seconds `body` takes.
    func timed(_ body: () throws -> Void) rethrows -> Double {
        let started = ContinuousClock.now
        try body()
        return (ContinuousClock.now - started) / .seconds(1)
    }
}
