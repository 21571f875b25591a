import Foundation
import GGUF
import InferenceCore
import Testing

@Suite("Random-weight models")
struct RandomModelBuilderTests {
    /// A small made-up tokenizer so the tests do not depend on fixtures.
    static let tokenizer: GGUFMetadata = {
        var m = GGUFMetadata()
        m["tokenizer.ggml.model"] = .string("gpt2")
        m["tokenizer.ggml.pre"] = .string("default")
        m["tokenizer.ggml.tokens"] = .array(elementType: .string, values: (0..<320).map { .string("t\($0)") })
        m["tokenizer.ggml.token_type"] = .array(elementType: .int32, values: (0..<320).map { _ in .int32(1) })
        m["tokenizer.ggml.eos_token_id"] = .uint32(0)
        return m
    }()

    static func builder(
        _ arch: ModelArchitecture, type: GGMLType = .f16, seed: UInt64 = 7, tied: Bool = false
    ) -> RandomModelBuilder {
        let h = ModelHyperparameters(
            architecture: arch, embeddingLength: 64, blockCount: 2, headCount: 4, headCountKV: 2,
            feedForwardLength: 96, contextLength: 128, tiedEmbeddings: tied)
        return RandomModelBuilder(hyperparameters: h, tensorType: type, seed: seed, tokenizer: tokenizer)
    }

    static func temporaryPath(_ name: String) throws -> (dir: URL, path: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("icore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return (dir, dir.appendingPathComponent(name).path)
    }

    /// FNV-1a over the file's bytes.
    static func hash(_ path: String) throws -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in try Data(contentsOf: URL(fileURLWithPath: path)) { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return h
    }

    @Test("The same arguments give the same bytes; another seed does not", arguments: [GGMLType.f32, .f16, .q8_0])
    func deterministic(type: GGMLType) throws {
        let (dir, a) = try Self.temporaryPath("a.gguf")
        defer { try? FileManager.default.removeItem(at: dir) }
        let b = dir.appendingPathComponent("b.gguf").path
        let c = dir.appendingPathComponent("c.gguf").path
        try Self.builder(.qwen2, type: type).write(to: a)
        try Self.builder(.qwen2, type: type).write(to: b)
        try Self.builder(.qwen2, type: type, seed: 8).write(to: c)
        #expect(try Self.hash(a) == Self.hash(b))
        #expect(try Self.hash(a) != Self.hash(c))
    }

    @Test("Reads back with llama.cpp's tensor names, shapes and types", arguments: [ModelArchitecture.llama, .qwen2])
    func readsBack(arch: ModelArchitecture) throws {
        let (dir, path) = try Self.temporaryPath("m.gguf")
        defer { try? FileManager.default.removeItem(at: dir) }
        let builder = Self.builder(arch, type: .q8_0)
        try builder.write(to: path)
        let file = try GGUFFile(path: path)
        var expected: [String: ([Int], GGMLType)] = [
            "token_embd.weight": ([64, 320], .q8_0), "output_norm.weight": ([64], .f32),
            "output.weight": ([64, 320], .q8_0),
        ]
        for l in 0..<2 {
            expected["blk.\(l).attn_norm.weight"] = ([64], .f32)
            expected["blk.\(l).attn_q.weight"] = ([64, 64], .q8_0)
            expected["blk.\(l).attn_k.weight"] = ([64, 32], .q8_0)
            expected["blk.\(l).attn_v.weight"] = ([64, 32], .q8_0)
            expected["blk.\(l).attn_output.weight"] = ([64, 64], .q8_0)
            expected["blk.\(l).ffn_norm.weight"] = ([64], .f32)
            expected["blk.\(l).ffn_gate.weight"] = ([64, 96], .q8_0)
            expected["blk.\(l).ffn_up.weight"] = ([64, 96], .q8_0)
            expected["blk.\(l).ffn_down.weight"] = ([96, 64], .q8_0)
            if arch == .qwen2 {
                expected["blk.\(l).attn_q.bias"] = ([64], .f32)
                expected["blk.\(l).attn_k.bias"] = ([32], .f32)
                expected["blk.\(l).attn_v.bias"] = ([32], .f32)
            }
        }
        #expect(Set(file.tensors.map(\.name)) == Set(expected.keys))
        for info in file.tensors {
            #expect(info.shape == expected[info.name]?.0, "\(info.name)")
            #expect(info.type == expected[info.name]?.1, "\(info.name)")
        }
        let m = file.metadata
        let a = arch.rawValue
        #expect(m.string("general.architecture") == a)
        #expect(m.int("general.file_type") == 7)
        #expect(m.int("\(a).embedding_length") == 64)
        #expect(m.int("\(a).block_count") == 2)
        #expect(m.int("\(a).attention.head_count") == 4)
        #expect(m.int("\(a).attention.head_count_kv") == 2)
        #expect(m.int("\(a).feed_forward_length") == 96)
        #expect(m.int("\(a).context_length") == 128)
        #expect(m.int("\(a).rope.dimension_count") == 16)
        #expect(m.double("\(a).rope.freq_base") == (arch == .qwen2 ? 1_000_000 : 10_000))
        for entry in Self.tokenizer.entries { #expect(m[entry.key] == entry.value, "\(entry.key)") }
        #expect(try ModelHyperparameters(metadata: m) == builder.hyperparameters)

        // Weights look like what was asked for: attn_q N(0, 1/dim), norms near 1.
        let q = try file.dequantize(try #require(file.tensor(named: "blk.0.attn_q.weight")))
        let mean = q.reduce(0, +) / Float(q.count)
        let sd = (q.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(q.count)).squareRoot()
        #expect(abs(mean) < 0.01)
        #expect(abs(sd - builder.standardDeviation(of: "attn_q")) < 0.01)
        #expect(builder.standardDeviation(of: "attn_q") == 0.125)
        let norm = try file.dequantize(try #require(file.tensor(named: "output_norm.weight")))
        #expect(norm.allSatisfy { abs($0 - 1) < 0.15 })
    }

    @Test("Tied embeddings leave out output.weight")
    func tied() throws {
        let names = try Self.builder(.llama, tied: true).plan().map(\.name)
        #expect(!names.contains("output.weight"))
        #expect(names.contains("token_embd.weight"))
    }

    @Test("Copies the tokenizer of a real vocab file", .enabled(if: Self.spmPath != nil))
    func realVocab() throws {
        let tokenizer = try RandomModelBuilder.tokenizerMetadata(fromVocabAt: Self.spmPath!)
        let builder = RandomModelBuilder(
            hyperparameters: ModelHyperparameters(
                architecture: .llama, embeddingLength: 32, blockCount: 1, headCount: 2, headCountKV: 1,
                feedForwardLength: 64),
            tensorType: .q8_0, seed: 1, tokenizer: tokenizer)
        #expect(builder.vocabularySize == 32000)
        let metadata = try builder.metadata()
        #expect(metadata.string("tokenizer.ggml.model") == "llama")
        #expect(metadata.strings("tokenizer.ggml.tokens")?.count == 32000)
        #expect(metadata["tokenizer.ggml.add_bos_token"] == .bool(true))
        #expect(metadata.string("general.name") == "random-llama")
    }

    static let spmPath: String? = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".cache/fixtures/ggml-vocab-llama-spm.gguf").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()

    @Test(
        "Rejects sizes that do not fit together",
        arguments: [
            (dim: 100, heads: 8, kv: 4, ff: 64),  // dim not divisible by heads
            (dim: 64, heads: 8, kv: 3, ff: 64),  // heads not divisible by kv heads
            (dim: 64, heads: 0, kv: 0, ff: 64),  // no heads
            (dim: 24, heads: 8, kv: 4, ff: 64),  // odd head dimension
            (dim: 64, heads: 8, kv: 4, ff: 0),  // no feed-forward
        ])
    func badSizes(dim: Int, heads: Int, kv: Int, ff: Int) {
        let h = ModelHyperparameters(
            architecture: .llama, embeddingLength: dim, headCount: heads, headCountKV: kv, feedForwardLength: ff)
        let error = #expect(throws: ModelBuildError.self) {
            try RandomModelBuilder(hyperparameters: h, tensorType: .f32, seed: 1, tokenizer: Self.tokenizer).plan()
        }
        #expect(error?.code == .invalidHyperparameters)
    }

    @Test("Rejects q8_0 rows that are not whole blocks", arguments: [(dim: 48, ff: 64), (dim: 64, ff: 80)])
    func badQ8Rows(dim: Int, ff: Int) {
        let h = ModelHyperparameters(
            architecture: .qwen2, embeddingLength: dim, headCount: 4, headCountKV: 2, feedForwardLength: ff)
        let error = #expect(throws: ModelBuildError.self) {
            try RandomModelBuilder(hyperparameters: h, tensorType: .q8_0, seed: 1, tokenizer: Self.tokenizer).plan()
        }
        #expect(error?.code == .invalidTensorType)
        #expect(error?.detail.contains("multiples of 32") == true)
    }

    @Test("Rejects a vocabulary without tokens")
    func noTokens() throws {
        var tokenizer = Self.tokenizer
        tokenizer["tokenizer.ggml.tokens"] = nil
        let error = #expect(throws: ModelBuildError.self) {
            try RandomModelBuilder(
                hyperparameters: ModelHyperparameters(architecture: .llama), tensorType: .f16, seed: 1,
                tokenizer: tokenizer
            ).plan()
        }
        #expect(error?.code == .invalidVocabulary)

        let (dir, path) = try Self.temporaryPath("empty-vocab.gguf")
        defer { try? FileManager.default.removeItem(at: dir) }
        var writer = GGUFWriter()
        writer.set("general.name", .string("no tokens"))
        try writer.write(to: path)
        let error2 = #expect(throws: ModelBuildError.self) {
            try RandomModelBuilder.tokenizerMetadata(fromVocabAt: path)
        }
        #expect(error2?.code == .invalidVocabulary)
        let error3 = #expect(throws: ModelBuildError.self) {
            try RandomModelBuilder.tokenizerMetadata(fromVocabAt: dir.appendingPathComponent("missing.gguf").path)
        }
        #expect(error3?.code == .invalidVocabulary)
    }

    @Test("The default model is the small one")
    func defaults() {
        let h = ModelHyperparameters(architecture: .llama)
        #expect(h.embeddingLength == 256 && h.blockCount == 4 && h.headCount == 8 && h.headCountKV == 4)
        #expect(h.feedForwardLength == 768 && h.contextLength == 2048)
    }
}
