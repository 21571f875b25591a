import Foundation
import GGUF
import Glibc
import InferenceCore
import Testing

/// A tiny model, the `batchgate` executable, and spawning it as a worker.
public enum WorkerSupport {
    /// The vocab fixture `name` from `$BATCHGATE_FIXTURES` or `<package root>/.cache/fixtures`; fails the test
    /// (never skips it) when the file is missing.
    public static func vocabPath(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let environment = ProcessInfo.processInfo.environment["BATCHGATE_FIXTURES"] ?? ""
        let directory = environment.isEmpty ? root.appendingPathComponent(".cache/fixtures").path : environment
        let path = directory + "/" + name
        try #require(
            FileManager.default.fileExists(atPath: path), "fixture \(path) is missing: run `make fixtures`")
        return path
    }

    /// SmolLM2-135M-Instruct (Q4_1), the trained model `make fixtures` fetches into `.cache/models` (see
    /// `scripts/fetch-smollm2.sh`); fails the test (never skips it) when the file is missing.
    public static func smolLM2() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = root.appendingPathComponent(".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf").path
        try #require(FileManager.default.fileExists(atPath: path), "\(path) is missing: run `make fixtures`")
        return path
    }

    /// Writes a tiny llama (by default dim 64, 2 layers, 4 heads, 2 KV heads; the first `vocabulary` tokens of the
    /// llama-spm vocab, all 32,000 when nil; F16 weights) into a fresh temp directory, as `batchgate model create`
    /// would, and returns its path.
    public static func tinyModel(
        embedding: Int = 64, layers: Int = 2, heads: Int = 4, kvHeads: Int = 2, feedForward: Int = 128,
        context: Int = 256, type: GGMLType = .f16, vocabulary: Int? = 512
    ) throws -> String {
        var tokenizer = try RandomModelBuilder.tokenizerMetadata(
            fromVocabAt: try vocabPath("ggml-vocab-llama-spm.gguf"))
        for key in ["tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"] {
            if let vocabulary, case .array(let type, let items) = tokenizer[key] {
                tokenizer[key] = .array(elementType: type, values: Array(items.prefix(vocabulary)))
            }
        }
        let hyperparameters = ModelHyperparameters(
            architecture: .llama, embeddingLength: embedding, blockCount: layers, headCount: heads,
            headCountKV: kvHeads, feedForwardLength: feedForward, contextLength: context)
        let builder = RandomModelBuilder(
            hyperparameters: hyperparameters, tensorType: type, seed: 5, tokenizer: tokenizer)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("worker-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("tiny.gguf").path
        try builder.write(to: path)
        return path
    }

    public struct NotFound: Error, CustomStringConvertible {
        let searched: [String]
        public var description: String {
            "batchgate executable not found; looked in: \(searched.joined(separator: ", "))"
        }
    }

    /// The executable: `$BATCHGATE_BINARY` if set, else the first `batchgate` walking up from the test runner
    /// (the same lookup as `Tests/CLITests/BatchgateProcess.swift`).
    public static func executable() throws -> String {
        if let override = ProcessInfo.processInfo.environment["BATCHGATE_BINARY"] { return override }
        var starts = [URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()]
        starts += Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }
        var searched: [String] = []
        for start in starts {
            var directory = start.deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("batchgate").path
                searched.append(candidate)
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                    FileManager.default.isExecutableFile(atPath: candidate)
                {
                    return candidate
                }
                directory = directory.deletingLastPathComponent()
            }
        }
        throw NotFound(searched: searched)
    }

    /// Whether `pid` still runs (neither gone nor a zombie).
    public static func isRunning(_ pid: pid_t) -> Bool {
        if kill(pid, 0) != 0 && errno == ESRCH { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    /// The processes that hold the file behind `descriptor` (of this process) open or mapped, found through
    /// `/proc/*/fd` and `/proc/*/maps`.
    public static func processesHolding(descriptor: Int32) -> [pid_t] {
        var target = stat()
        guard fstat(descriptor, &target) == 0 else { return [] }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var holders: [pid_t] = []
        for entry in entries {
            guard let pid = pid_t(entry) else { continue }
            var holds = false
            for fd in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [] {
                var info = stat()
                if stat("/proc/\(pid)/fd/\(fd)", &info) == 0 && info.st_ino == target.st_ino
                    && info.st_dev == target.st_dev
                {
                    holds = true
                    break
                }
            }
            if !holds, let maps = try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8) {
                holds = maps.split(separator: "\n").contains { line in
                    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                    return fields.count >= 6 && fields[4] == "\(target.st_ino)" && fields[5].hasPrefix("/memfd:")
                }
            }
            if holds { holders.append(pid) }
        }
        return holders
    }

    /// Greedy tokens of `prompt` run alone through a fresh engine.
    public static func greedy(_ engine: Engine, _ prompt: [Int32], count: Int, sequence: SequenceID = 1) throws
        -> [Int32]
    {
        var sampling = SamplingParameters()
        sampling.maxTokens = count
        sampling.ignoreEOS = true
        var tokens = [
            try engine.step(StepBatch(admits: [.init(sequence: sequence, tokens: prompt, sampling: sampling)]))
                .results[0].token.token
        ]
        while tokens.count < count {
            tokens.append(try engine.step(StepBatch(decodes: [sequence])).results[0].token.token)
        }
        engine.release(sequence)
        return tokens
    }
}
