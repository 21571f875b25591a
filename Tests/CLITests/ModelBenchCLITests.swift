import Foundation
import InferenceCore
import Testing

/// `batchgate model bench --json` on a tiny random-weight model: the shape of the report, not the speed.
@Suite("model bench CLI")
struct ModelBenchCLITests {
    /// The qwen2 vocab fixture, from `.cache/fixtures` or `/work/shared/fixtures`, or nil when neither has it.
    static let vocab: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return [root.appendingPathComponent(".cache/fixtures").path, "/work/shared/fixtures"]
            .map { $0 + "/ggml-vocab-qwen2.gguf" }
            .first { FileManager.default.fileExists(atPath: $0) }
    }()

    @Test("--json prints model, threads and one positive, finite result per batch size", .enabled(if: vocab != nil))
    func jsonShape() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-cli-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("tiny.gguf").path
        let created = try BatchgateProcess.run([
            "model", "create", model, "--arch", "qwen2", "--vocab", try #require(Self.vocab), "--dim", "64",
            "--layers", "2", "--heads", "4", "--kv-heads", "2", "--ff", "128", "--type", "q8_0", "--seed", "1",
        ])
        #expect(created.status == 0, "stderr: \(created.stderr)")
        let result = try BatchgateProcess.run([
            "model", "bench", model, "--prompt", "9", "--generate", "3", "--batch", "1,3", "--threads", "2", "--json",
        ])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let report = try #require(object, "not a JSON object: \(result.stdout)")
        #expect(report["model"] as? String == model)
        #expect((report["threads"] as? NSNumber)?.intValue == 2)
        // The weights one decode step reads, as the engine counts them, and a measured read bandwidth.
        let weights = try ModelWeights(path: model)
        #expect((report["decode_weight_bytes"] as? NSNumber)?.intValue == MemoryBandwidth.decodeBytesPerToken(weights))
        let bandwidth = (report["read_bandwidth_bytes_per_s"] as? NSNumber)?.doubleValue
        #expect(bandwidth.map { $0 > 0 && $0.isFinite } == true, "read bandwidth \(String(describing: bandwidth))")
        let results = try #require(report["results"] as? [[String: Any]])
        #expect(results.map { ($0["batch"] as? NSNumber)?.intValue } == [1, 3])
        for entry in results {
            #expect(
                Set(entry.keys) == [
                    "batch", "prefill_tokens_per_s", "decode_tokens_per_s", "decode_weight_bytes_per_s",
                    "decode_bandwidth_share",
                ])
            for key in ["prefill_tokens_per_s", "decode_tokens_per_s", "decode_weight_bytes_per_s"] {
                let value = (entry[key] as? NSNumber)?.doubleValue
                #expect(value.map { $0 > 0 && $0.isFinite } == true, "\(key) is \(String(describing: entry[key]))")
            }
        }
    }

    @Test("Bad options are refused")
    func validation() throws {
        for arguments in [["--batch", "1,x"], ["--batch", "0"], ["--prompt", "0"]] {
            let result = try BatchgateProcess.run(["model", "bench", "missing.gguf"] + arguments)
            #expect(result.status != 0)
        }
    }
}
