import BatchgateTestSupport
import Foundation
import GGUF
import Testing

/// `batchgate model quantize` against llama.cpp's llama-quantize: the same input must give the same file, byte for
/// byte, for every type; and bad input must be refused clearly.
@Suite("model quantize CLI", .serialized)
struct ModelQuantizeCLITests {
    /// The repository root (three levels above this file).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// llama.cpp's tool runner, `../shared/llama.cpp/run` from the repository root.
    static let llamaRun = root.deletingLastPathComponent().appendingPathComponent("shared/llama.cpp/run").path

    /// The llama-bpe vocab fixture, from `.cache/fixtures` or `/work/shared/fixtures`.
    static let vocab: String? = [root.appendingPathComponent(".cache/fixtures").path, "/work/shared/fixtures"]
        .map { $0 + "/ggml-vocab-llama-bpe.gguf" }
        .first { FileManager.default.fileExists(atPath: $0) }

    /// The models both tools quantize: one with 256-multiple rows (F16, llama, tied embeddings, 8 layers so the
    /// "more bits" layers vary) and one whose 320-long rows need the fallback types (F32, qwen2 with biases,
    /// an untied output, 5 query heads per kv head).
    static let models: [(name: String, arguments: [String])] = [
        (
            "llama-f16",
            [
                "--arch", "llama", "--dim", "256", "--layers", "8", "--heads", "8", "--kv-heads", "4", "--ff", "768",
                "--tied", "--type", "f16",
            ]
        ),
        (
            "qwen2-f32-320",
            [
                "--arch", "qwen2", "--dim", "320", "--layers", "3", "--heads", "5", "--kv-heads", "1", "--ff", "512",
                "--type", "f32",
            ]
        ),
    ]

    /// A directory holding the input models, made once.
    static let directory: Result<String, any Error> = Result {
        let path = try ProcessScratchDirectory.make(prefix: "quantize-cli")
        guard let vocab else { throw Failure("the vocab fixture ggml-vocab-llama-bpe.gguf is missing") }
        for model in models {
            let created = try BatchgateProcess.run(
                ["model", "create", "\(path)/\(model.name).gguf", "--vocab", vocab, "--seed", "7"] + model.arguments)
            guard created.status == 0 else { throw Failure("model create failed: \(created.stderr)") }
        }
        return path
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test(
        "Same bytes as llama-quantize",
        arguments: QuantizationFileType.allCases
    )
    func byteEqual(type: QuantizationFileType) async throws {
        #expect(
            FileManager.default.isExecutableFile(atPath: Self.llamaRun),
            "llama.cpp's tools are missing: expected \(Self.llamaRun)")
        let directory = try await onOwnThread { try Self.directory.get() }
        for model in Self.models {
            let input = "\(directory)/\(model.name).gguf"
            let ours = "\(directory)/\(model.name)-\(type.rawValue)-ours.gguf"
            let theirs = "\(directory)/\(model.name)-\(type.rawValue)-llama.gguf"
            defer {
                try? FileManager.default.removeItem(atPath: ours)
                try? FileManager.default.removeItem(atPath: theirs)
            }
            let result = try await BatchgateProcess.run(["model", "quantize", input, ours, "--type", type.rawValue])
            try #require(result.status == 0, "batchgate failed: \(result.stderr)")
            #expect(result.stdout.contains("done:"))
            if model.name == "llama-f16" && type != .q8_0 {
                // 256-long rows: most matrices get the file type's own type.
                #expect(result.stdout.contains("F16 -> \(type.defaultType)"))
            }
            if model.name == "qwen2-f32-320" && type.defaultType.blockSize == 256 {
                // 320-long rows: llama-quantize's fallbacks (Q4_K -> Q5_0, IQ4_XS -> IQ4_NL, ...) must show.
                let fallbacks: [GGMLType: GGMLType] = [
                    .q2_K: .q4_0, .q3_K: .q4_0, .q4_K: .q5_0, .q5_K: .q5_1, .q6_K: .q8_0, .iq4_xs: .iq4_nl,
                ]
                let fallback = try #require(fallbacks[type.defaultType])
                #expect(result.stdout.contains("F32 -> \(fallback)"), "\(result.stdout)")
            }
            let reference = try await onOwnThread { try Self.runLlamaQuantize(input, theirs, type.description) }
            try #require(reference.status == 0, "llama-quantize failed: \(reference.output)")
            let difference = try await onOwnThread { try Self.firstDifference(ours, theirs) }
            #expect(difference == nil, "\(model.name) \(type): \(difference ?? "")")
        }
    }

    @Test("model create --type q4_k_m gives every tensor the type and bytes llama-quantize gives it")
    func createMixed() async throws {
        let directory = try await onOwnThread { try Self.directory.get() }
        let model = try #require(Self.models.first { $0.name == "qwen2-f32-320" })
        let mixed = "\(directory)/created-q4_k_m.gguf"
        let reference = "\(directory)/reference-q4_k_m.gguf"
        defer {
            try? FileManager.default.removeItem(atPath: mixed)
            try? FileManager.default.removeItem(atPath: reference)
        }
        let arguments = model.arguments.dropLast(2) + ["--type", "q4_k_m"]
        let created = try await BatchgateProcess.run(
            ["model", "create", mixed, "--vocab", try #require(Self.vocab), "--seed", "7"] + arguments)
        try #require(created.status == 0, "\(created.stderr)")
        let llama = try await onOwnThread {
            try Self.runLlamaQuantize("\(directory)/\(model.name).gguf", reference, "Q4_K_M")
        }
        try #require(llama.status == 0, "\(llama.output)")
        let ours = try GGUFFile(path: mixed)
        let theirs = try GGUFFile(path: reference)
        #expect(ours.metadata.int("general.file_type") == 15)
        #expect(Set(ours.tensors.map(\.type)).isSuperset(of: [.q4_K, .q5_0, .q6_K, .q8_0, .f32]))
        #expect(ours.tensors.count == theirs.tensors.count)
        for tensor in ours.tensors {
            let other = try #require(theirs.tensor(named: tensor.name))
            #expect(tensor.type == other.type, "\(tensor.name)")
            let a = ours.bytes(of: tensor)
            let b = theirs.bytes(of: other)
            #expect(a.count == b.count && memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0, "\(tensor.name)")
        }
    }

    /// Writes a small random model of `arch` straight with `GGUFWriter`: qwen has llama.cpp's fused `attn_qkv`
    /// (and its bias), qwen3 has q/k norms; 4 layers, dim 256, 8 heads over `kvHeads` kv heads, `type` matrices.
    static func writeModel(arch: String, kvHeads: Int, type: GGMLType, to path: String) throws {
        let dim = 256
        let ff = 768
        var writer = GGUFWriter()
        writer.set("general.architecture", .string(arch))
        for (key, value) in [
            ("context_length", 512), ("embedding_length", dim), ("block_count", 4), ("feed_forward_length", ff),
            ("attention.head_count", 8), ("attention.head_count_kv", kvHeads), ("rope.dimension_count", 32),
        ] {
            writer.set("\(arch).\(key)", .uint32(UInt32(value)))
        }
        writer.set("\(arch).attention.layer_norm_rms_epsilon", .float32(1e-6))
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        func random(_ count: Int, scale: Float) -> [Float] {
            (0..<count).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return (Float(state >> 40) / Float(1 << 24) - 0.5) * scale
            }
        }
        func add(_ name: String, _ shape: [Int], _ tensorType: GGMLType = type) throws {
            let count = shape.reduce(1, *)
            try writer.addTensor(name: name, type: tensorType, shape: shape, floats: random(count, scale: 0.1))
        }
        try add("token_embd.weight", [dim, 1000])
        for layer in 0..<4 {
            let p = "blk.\(layer)."
            try add(p + "attn_norm.weight", [dim], .f32)
            if arch == "qwen" {
                try add(p + "attn_qkv.weight", [dim, 3 * dim])
                try add(p + "attn_qkv.bias", [3 * dim], .f32)
            } else {
                try add(p + "attn_q.weight", [dim, dim])
                try add(p + "attn_k.weight", [dim, dim / 8 * kvHeads])
                try add(p + "attn_v.weight", [dim, dim / 8 * kvHeads])
                try add(p + "attn_q_norm.weight", [32], .f32)
                try add(p + "attn_k_norm.weight", [32], .f32)
            }
            try add(p + "attn_output.weight", [dim, dim])
            try add(p + "ffn_norm.weight", [dim], .f32)
            try add(p + "ffn_gate.weight", [dim, ff])
            try add(p + "ffn_up.weight", [dim, ff])
            try add(p + "ffn_down.weight", [ff, dim])
        }
        try add("output_norm.weight", [dim], .f32)
        try add("output.weight", [dim, 1000])
        try writer.write(to: path)
    }

    @Test(
        "qwen (fused attn_qkv) and qwen3 models, F16 and BF16: same bytes as llama-quantize",
        arguments: [("qwen", 8, GGMLType.f16), ("qwen3", 2, .bf16), ("qwen3", 4, .f16)]
    )
    func otherArchitectures(arch: String, kvHeads: Int, type: GGMLType) async throws {
        let directory = try await onOwnThread { try Self.directory.get() }
        let input = "\(directory)/\(arch)-\(kvHeads)-\(type).gguf"
        try await onOwnThread { try Self.writeModel(arch: arch, kvHeads: kvHeads, type: type, to: input) }
        defer { try? FileManager.default.removeItem(atPath: input) }
        for fileType in [QuantizationFileType.q2_K, .q3_K_M, .q4_K_S, .q4_K_M, .q5_K_M, .iq4_nl, .iq4_xs] {
            let ours = "\(directory)/\(arch)-ours.gguf"
            let theirs = "\(directory)/\(arch)-llama.gguf"
            defer {
                try? FileManager.default.removeItem(atPath: ours)
                try? FileManager.default.removeItem(atPath: theirs)
            }
            let result = try await BatchgateProcess.run(["model", "quantize", input, ours, "--type", fileType.rawValue])
            try #require(result.status == 0, "batchgate failed: \(result.stderr)")
            let reference = try await onOwnThread { try Self.runLlamaQuantize(input, theirs, fileType.description) }
            try #require(reference.status == 0, "llama-quantize failed: \(reference.output)")
            let difference = try await onOwnThread { try Self.firstDifference(ours, theirs) }
            #expect(difference == nil, "\(arch) \(type) \(fileType): \(difference ?? "")")
        }
    }

    @Test("An unknown type is refused, naming the valid ones")
    func unknownType() async throws {
        let result = try await BatchgateProcess.run(["model", "quantize", "in.gguf", "out.gguf", "--type", "q3_k_x"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("q3_k_x"))
        #expect(result.stderr.contains("q4_k_m") && result.stderr.contains("iq4_xs"))
    }

    @Test("A quantized input is refused, naming the tensor and its type")
    func quantizedInput() async throws {
        let directory = try await onOwnThread { try Self.directory.get() }
        let input = "\(directory)/llama-f16.gguf"
        let quantized = "\(directory)/already-q8.gguf"
        let output = "\(directory)/again.gguf"
        defer { try? FileManager.default.removeItem(atPath: quantized) }
        let first = try await BatchgateProcess.run(["model", "quantize", input, quantized, "--type", "q8_0"])
        try #require(first.status == 0, "\(first.stderr)")
        let second = try await BatchgateProcess.run(["model", "quantize", quantized, output, "--type", "q4_k_m"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("already quantized"))
        #expect(second.stderr.contains("token_embd.weight") && second.stderr.contains("Q8_0"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("A missing or truncated input is refused without writing the output")
    func missingAndTruncated() async throws {
        let directory = try await onOwnThread { try Self.directory.get() }
        let output = "\(directory)/never.gguf"
        let missing = try await BatchgateProcess.run(
            ["model", "quantize", "\(directory)/no-such.gguf", output, "--type", "q4_0"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no-such.gguf"))
        let truncated = "\(directory)/truncated.gguf"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/llama-f16.gguf"))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        defer { try? FileManager.default.removeItem(atPath: truncated) }
        let cut = try await BatchgateProcess.run(["model", "quantize", truncated, output, "--type", "q4_0"])
        #expect(cut.status == 1)
        #expect(cut.stderr.contains("truncated.gguf"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    /// Runs `llama-quantize input output type`, returning its status and combined output.
    static func runLlamaQuantize(_ input: String, _ output: String, _ type: String) throws -> (
        status: Int32, output: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: llamaRun)
        process.arguments = ["llama-quantize", input, output, type, "2"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// nil when the files are equal, else where they first differ: the header, or the tensor and offset in it.
    static func firstDifference(_ ours: String, _ theirs: String) throws -> String? {
        let a = try Data(contentsOf: URL(fileURLWithPath: ours))
        let b = try Data(contentsOf: URL(fileURLWithPath: theirs))
        if a == b { return nil }
        let offset = a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in (0..<min(x.count, y.count)).first { x[$0] != y[$0] } ?? min(x.count, y.count) }
        }
        if offset == min(a.count, b.count) {
            return "sizes differ: ours \(a.count), llama-quantize's \(b.count)"
        }
        let file = try GGUFFile(path: theirs)
        let mine = try GGUFFile(path: ours)
        guard offset >= file.dataOffset else {
            let types = zip(mine.tensors, file.tensors).first { $0.type != $1.type || $0.name != $1.name }
                .map { "; first differing tensor info: ours \($0.name) \($0.type), theirs \($1.name) \($1.type)" }
            return "the headers differ at byte \(offset)\(types ?? "")"
        }
        let at = offset - file.dataOffset
        let tensor = file.tensors.last { $0.offset <= at }
        return "data differ at byte \(offset): tensor \(tensor?.name ?? "?") (\(tensor.map { "\($0.type)" } ?? "")), "
            + "byte \(at - (tensor?.offset ?? 0)) of it"
    }
}
