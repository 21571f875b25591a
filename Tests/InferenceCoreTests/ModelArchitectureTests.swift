import Foundation
import GGUF
import Testing

@testable import InferenceCore

/// qwen, qwen3, Llama 3.1's rope_freqs and YaRN: the files the builder writes (llama.cpp's names, shapes and keys),
/// how they read back, what is refused, and the RoPE constants derived from them. Equality of whole continuations
/// with llama.cpp is in `EngineConformanceTests`.
@Suite("Architectures and RoPE scaling")
struct ModelArchitectureTests {
    static let tokenizer = RandomModelBuilderTests.tokenizer

    static func builder(_ h: ModelHyperparameters, type: GGMLType = .f32) -> RandomModelBuilder {
        RandomModelBuilder(hyperparameters: h, tensorType: type, seed: 3, tokenizer: tokenizer)
    }

    /// `h` as a file's metadata states it: whether the embeddings are tied shows only in the tensors.
    static func untied(_ h: ModelHyperparameters) -> ModelHyperparameters {
        var h = h
        h.tiedEmbeddings = false
        return h
    }

    /// Writes `builder`'s model, then returns its tensors' shapes by name and its metadata.
    static func written(_ builder: RandomModelBuilder) throws -> (shapes: [String: [Int]], metadata: GGUFMetadata) {
        let (dir, path) = try RandomModelBuilderTests.temporaryPath("m.gguf")
        defer { try? FileManager.default.removeItem(at: dir) }
        try builder.write(to: path)
        let file = try GGUFFile(path: path)
        _ = try ModelWeights(file: file)  // the engine maps every tensor it needs
        return (Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0.shape) }), file.metadata)
    }

    @Test("qwen: fused attn_qkv with its bias, output.weight, feed_forward_length twice the ffn width")
    func qwen() throws {
        let h = ModelHyperparameters(
            architecture: .qwen, embeddingLength: 64, blockCount: 2, headCount: 4, headCountKV: 4,
            feedForwardLength: 96, contextLength: 128)
        let (shapes, m) = try Self.written(Self.builder(h))
        for l in 0..<2 {
            #expect(shapes["blk.\(l).attn_qkv.weight"] == [64, 192])
            #expect(shapes["blk.\(l).attn_qkv.bias"] == [192])
            #expect(shapes["blk.\(l).attn_output.weight"] == [64, 64])
            #expect(shapes["blk.\(l).ffn_gate.weight"] == [64, 96])
            #expect(shapes["blk.\(l).ffn_up.weight"] == [64, 96])
            #expect(shapes["blk.\(l).ffn_down.weight"] == [96, 64])
            #expect(shapes["blk.\(l).attn_q.weight"] == nil)
        }
        #expect(shapes["output.weight"] == [64, 320])
        #expect(m.int("qwen.feed_forward_length") == 192)
        #expect(m.double("qwen.rope.freq_base") == 10_000)
        #expect(try ModelHyperparameters(metadata: m) == h)
    }

    @Test("qwen3: q/k norms one head wide, no biases, heads wider than dim/heads stated as key_length")
    func qwen3() throws {
        let h = ModelHyperparameters(
            architecture: .qwen3, embeddingLength: 64, blockCount: 2, headCount: 4, headCountKV: 2,
            feedForwardLength: 96, contextLength: 128, tiedEmbeddings: true, headWidth: 32)
        #expect(h.queryDimension == 128)
        #expect(h.kvDimension == 64)
        let (shapes, m) = try Self.written(Self.builder(h))
        for l in 0..<2 {
            #expect(shapes["blk.\(l).attn_q.weight"] == [64, 128])
            #expect(shapes["blk.\(l).attn_k.weight"] == [64, 64])
            #expect(shapes["blk.\(l).attn_v.weight"] == [64, 64])
            #expect(shapes["blk.\(l).attn_q_norm.weight"] == [32])
            #expect(shapes["blk.\(l).attn_k_norm.weight"] == [32])
            #expect(shapes["blk.\(l).attn_output.weight"] == [128, 64])
            #expect(shapes["blk.\(l).attn_q.bias"] == nil)
        }
        #expect(shapes["output.weight"] == nil)
        #expect(m.int("qwen3.attention.key_length") == 32)
        #expect(m.int("qwen3.attention.value_length") == 32)
        #expect(m.int("qwen3.rope.dimension_count") == 32)
        #expect(m.double("qwen3.rope.freq_base") == 1_000_000)
        #expect(try ModelHyperparameters(metadata: m) == Self.untied(h))
    }

    @Test("rope_freqs.weight: one Llama 3.1-like factor per pair, read by the llama engine")
    func ropeFreqs() throws {
        let h = ModelHyperparameters(
            architecture: .llama, embeddingLength: 64, blockCount: 1, headCount: 4, headCountKV: 2,
            feedForwardLength: 96, contextLength: 128)
        var builder = Self.builder(h)
        builder.ropeFrequencyFactors = true
        let (dir, path) = try RandomModelBuilderTests.temporaryPath("m.gguf")
        defer { try? FileManager.default.removeItem(at: dir) }
        try builder.write(to: path)
        let weights = try ModelWeights(path: path)
        let factors = try #require(weights.rope.frequencyFactors)
        #expect(factors == RandomModelBuilder.ropeFrequencyFactors(pairs: 8))
        // High frequencies kept, low ones slowed eightfold, a ramp between.
        #expect(factors.prefix(3).allSatisfy { $0 == 1 })
        #expect(factors.suffix(3).allSatisfy { $0 == 8 })
        #expect(zip(factors, factors.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(factors[3] > 1 && factors[4] < 8)
    }

    @Test("YaRN's keys are written and read back")
    func yarnMetadata() throws {
        let scaling = RopeScaling(kind: .yarn, factor: 4, originalContextLength: 64)
        let h = ModelHyperparameters(
            architecture: .qwen2, embeddingLength: 64, blockCount: 1, headCount: 4, headCountKV: 2,
            feedForwardLength: 96, contextLength: 256, tiedEmbeddings: true, ropeScaling: scaling)
        let (_, m) = try Self.written(Self.builder(h))
        #expect(m.string("qwen2.rope.scaling.type") == "yarn")
        #expect(m.double("qwen2.rope.scaling.factor") == 4)
        #expect(m.int("qwen2.rope.scaling.original_context_length") == 64)
        #expect(try ModelHyperparameters(metadata: m) == Self.untied(h))
    }

    @Test("Shapes llama.cpp's loaders would refuse are refused")
    func refused() {
        let cases: [(ModelHyperparameters, String)] = [
            (ModelHyperparameters(architecture: .qwen, embeddingLength: 64, headCount: 4, headCountKV: 2), "kv heads"),
            (
                ModelHyperparameters(
                    architecture: .qwen, embeddingLength: 64, headCount: 4, headCountKV: 4,
                    tiedEmbeddings: true), "output.weight"
            ),
            (ModelHyperparameters(architecture: .qwen2, embeddingLength: 64, headCount: 4, headWidth: 32), "wide"),
            (ModelHyperparameters(architecture: .qwen3, embeddingLength: 64, headCount: 4, headWidth: 15), "even"),
            (ModelHyperparameters(architecture: .llama, ropeScaling: RopeScaling(kind: .yarn, factor: 0)), "factor"),
        ]
        for (h, words) in cases {
            #expect(throws: ModelBuildError.self) { try h.validate() }
            do {
                try h.validate()
            } catch {
                #expect(error.detail.contains(words), "\(error.detail)")
            }
        }
    }

    @Test("A rope scaling llama.cpp does not know is refused by name")
    func unknownScaling() {
        var m = GGUFMetadata()
        m["llama.rope.scaling.type"] = .string("longrope")
        #expect(throws: ModelBuildError.self) { try RopeScaling(metadata: m, architecture: "llama") }
    }

    @Test("YaRN's constants: ramp over pairs 0…2, magnitude 1 + 0.1 ln 4, interpolated angles above the ramp")
    func yarnTable() {
        let h = ModelHyperparameters(
            architecture: .qwen2, embeddingLength: 64, headCount: 4, headCountKV: 2, contextLength: 256,
            ropeScaling: RopeScaling(kind: .yarn, factor: 4, originalContextLength: 64))
        let rope = RopeParameters(hyperparameters: h)
        #expect(rope.correctionDimensions.low == 0)
        #expect(rope.correctionDimensions.high == 2)
        #expect(rope.frequencyScale == 0.25)
        #expect(abs(rope.attentionFactor - 1) < 1e-6)
        #expect(abs(rope.magnitudeScale - (1 + 0.1 * logf(4))) < 1e-6)
        var table = [Float](repeating: 0, count: 16)
        table.withUnsafeMutableBufferPointer { rope.table(position: 50, into: $0.baseAddress!) }
        let m = rope.magnitudeScale
        let step = powf(1_000_000, -2 / Float(16))
        // Pair 0 keeps its angle (extrapolated); pair 1 is halfway; pairs from 2 on are divided by the factor.
        #expect(abs(table[0] - cosf(50) * m) < 1e-5)
        let theta1 = 50 * step
        #expect(abs(table[2] - cosf(0.5 * theta1 + 0.5 * theta1 / 4) * m) < 1e-5)
        let theta3 = 50 * step * step * step
        #expect(abs(table[6] - cosf(theta3 / 4) * m) < 1e-5)
        #expect(abs(table[7] - sinf(theta3 / 4) * m) < 1e-5)
    }

    @Test("Frequency factors divide each pair's angle")
    func factorTable() {
        let rope = RopeParameters(dimensions: 8, base: 10_000, frequencyFactors: [1, 2, 4, 8])
        var table = [Float](repeating: 0, count: 8)
        table.withUnsafeMutableBufferPointer { rope.table(position: 7, into: $0.baseAddress!) }
        var theta: Float = 7
        for (i, f) in [Float(1), 2, 4, 8].enumerated() {
            #expect(table[2 * i] == cosf(theta / f))
            #expect(table[2 * i + 1] == sinf(theta / f))
            theta *= powf(10_000, -2 / Float(8))
        }
    }

    @Test("rope_freqs and YaRN change what the engine computes", .enabled(if: EngineTestSupport.haveVocabs))
    func scalingMatters() throws {
        let base = [
            "--vocab", "small-\(EngineTestSupport.tinyVocabulary)", "--dim", "64", "--layers", "2", "--heads", "4",
            "--kv-heads", "2", "--ff", "128", "--context", "256", "--type", "f32", "--seed", "9",
        ]
        let prompt = (0..<60).map { Int32(3 + $0 * 7 % 500) }
        func logits(_ arguments: [String]) throws -> [Float] {
            let engine = Engine(
                weights: try ModelWeights(path: try EngineTestSupport.model(arguments)), options: EngineOptions())
            var sampling = SamplingParameters()
            sampling.maxTokens = 1
            let out = try engine.step(
                StepBatch(admits: [.init(sequence: 1, tokens: prompt, sampling: sampling)], returnLogits: true))
            return try #require(out.results[0].logits)
        }
        let llama = try logits(["--arch", "llama"] + base)
        let withFactors = try logits(["--arch", "llama"] + base + ["--rope-freqs"])
        #expect(llama.count == withFactors.count)
        #expect(zip(llama, withFactors).map { abs($0 - $1) }.max()! > 1e-3)
        let yarn = try logits(
            ["--arch", "llama"] + base + [
                "--rope-scaling", "yarn", "--rope-scaling-factor", "4", "--original-context", "64",
            ])
        #expect(zip(llama, yarn).map { abs($0 - $1) }.max()! > 1e-3)
    }
}
