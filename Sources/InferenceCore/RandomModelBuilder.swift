import Basics
import Foundation
import GGUF

/// Builds a GGUF model with random weights that llama.cpp loads: llama.cpp's tensor names and shapes, the
/// metadata it needs, and a real tokenizer copied from a vocab file.
///
/// The weights come from a seeded generator, one stream per tensor, so the same arguments always give the same
/// bytes. Norms are N(1, 0.02²) and biases N(0, 0.02²); matrices are zero-mean normals whose deviations are chosen
/// from the sizes (see `standardDeviation(of:)`) so that, with dim d, ff f and L layers:
///
/// - the embedding has norm ≈ 1 per token, and q, k, v, gate and up (std 1/√d) see unit-RMS inputs and give
///   unit-RMS outputs, so attention scores are N(0, 1): attention is neither uniform nor one-hot;
/// - each attention block adds only ≈ 0.3 of the embedding's size (std of `attn_output` 0.3/d), so the current
///   token is not drowned by the context average (which makes greedy decoding repeat one token);
/// - the feed-forward blocks together add an RMS of ≈ 0.5 (std of `ffn_down` 0.5/(0.6·√(L·f))): a nonlinear
///   function of the token and its context that outweighs the embedding, so with tied embeddings a token's own
///   logit is only ≈ 2σ above the rest and does not win every step; activations stay O(1) through any depth.
///
/// Matrices and the embedding are stored in `tensorType`; norms and biases are always F32. Tensors are generated row
/// by row while the file is written, so a model larger than memory can be built.
public struct RandomModelBuilder {
    /// The model's sizes.
    public var hyperparameters: ModelHyperparameters
    /// The type of the weight matrices and the token embedding (f32, f16, bf16, q8_0 or q4_0).
    public var tensorType: GGMLType
    /// The seed of every weight.
    public var seed: UInt64
    /// The `tokenizer.*` metadata, in order, copied into the model.
    public var tokenizer: GGUFMetadata
    /// `general.name`.
    public var name: String
    /// Whether to add Llama 3.1's `rope_freqs.weight` (one theta divisor per RoPE pair; see
    /// `ropeFrequencyFactors(pairs:)`).
    public var ropeFrequencyFactors = false
    /// When set, each matrix gets the type llama-quantize would give it in this file type (`tensorType` is unused).
    public var quantization: QuantizationFileType?

    /// Standard deviation of norm weights around 1 and of biases around 0.
    public static let smallStandardDeviation: Float = 0.02

    /// One tensor of the model: its name, ggml shape (row length first), type and how it is initialised.
    public struct PlannedTensor: Sendable, Equatable {
        /// How the values are drawn.
        public enum Initialisation: Sendable, Equatable {
            /// N(0, standardDeviation²).
            case matrix(standardDeviation: Float)
            /// N(1, smallStandardDeviation²).
            case norm
            /// N(0, smallStandardDeviation²).
            case bias
            /// Llama 3.1-like RoPE frequency factors, not random (`ropeFrequencyFactors(pairs:)`).
            case ropeFrequencyFactors
        }

        /// llama.cpp's name, such as `blk.0.attn_q.weight`.
        public let name: String
        /// Dimensions, innermost (row length) first.
        public let shape: [Int]
        /// The stored type.
        public let type: GGMLType
        /// How the values are drawn.
        public let initialisation: Initialisation
    }

    /// Creates a builder; `tokenizer` must hold `tokenizer.ggml.tokens`.
    public init(
        hyperparameters: ModelHyperparameters, tensorType: GGMLType, seed: UInt64, tokenizer: GGUFMetadata,
        name: String? = nil, quantization: QuantizationFileType? = nil
    ) {
        self.quantization = quantization
        self.hyperparameters = hyperparameters
        self.tensorType = tensorType
        self.seed = seed
        self.tokenizer = tokenizer
        self.name = name ?? "random-\(hyperparameters.architecture.rawValue)"
    }

    /// The `tokenizer.*` pairs of the GGUF file at `path` (a llama.cpp vocab file or a model), in file order.
    public static func tokenizerMetadata(fromVocabAt path: String) throws(ModelBuildError) -> GGUFMetadata {
        let file: GGUFFile
        do {
            file = try GGUFFile(path: path)
        } catch {
            throw ModelBuildError(.invalidVocabulary, "cannot read vocab: \(error)")
        }
        let tokenizer = GGUFMetadata(file.metadata.entries.filter { $0.key.hasPrefix("tokenizer.") })
        guard let tokens = tokenizer.strings("tokenizer.ggml.tokens"), !tokens.isEmpty else {
            throw ModelBuildError(.invalidVocabulary, "\(path): the vocab file has no tokenizer.ggml.tokens")
        }
        guard tokenizer.string("tokenizer.ggml.model") != nil else {
            throw ModelBuildError(.invalidVocabulary, "\(path): the vocab file has no tokenizer.ggml.model")
        }
        return tokenizer
    }

    /// Number of tokens in the vocabulary, or nil when the tokenizer metadata has no token list.
    public var vocabularySize: Int? {
        guard let count = tokenizer["tokenizer.ggml.tokens"]?.arrayValue?.count, count > 0 else { return nil }
        return count
    }

    /// Throws unless the hyperparameters, the type and the tokenizer fit together.
    public func validate() throws(ModelBuildError) {
        try hyperparameters.validate()
        try hyperparameters.validate(tensorType: tensorType)
        guard let vocab = vocabularySize else {
            throw ModelBuildError(.invalidVocabulary, "the tokenizer metadata has no tokenizer.ggml.tokens")
        }
        guard vocab <= Int(Int32.max) / hyperparameters.embeddingLength else {
            throw ModelBuildError(.invalidHyperparameters, "vocab \(vocab) × dim is too large")
        }
    }

    /// The model's tensors in file order.
    public func plan() throws(ModelBuildError) -> [PlannedTensor] {
        try validate()
        let h = hyperparameters
        let dim = h.embeddingLength
        let kv = h.kvDimension
        let ff = h.feedForwardLength
        let vocab = vocabularySize!
        func matrix(_ name: String, _ shape: [Int]) -> PlannedTensor {
            let role = String(name.split(separator: ".").dropLast().last ?? "")
            return PlannedTensor(
                name: name, shape: shape, type: tensorType,
                initialisation: .matrix(standardDeviation: standardDeviation(of: role)))
        }
        func norm(_ name: String, _ n: Int) -> PlannedTensor {
            PlannedTensor(name: name, shape: [n], type: .f32, initialisation: .norm)
        }
        func bias(_ name: String, _ n: Int) -> PlannedTensor {
            PlannedTensor(name: name, shape: [n], type: .f32, initialisation: .bias)
        }
        let qDim = h.queryDimension
        let arch = h.architecture
        var tensors = [matrix("token_embd.weight", [dim, vocab])]
        if ropeFrequencyFactors {
            let pairs = h.headDimension / 2
            tensors.append(
                PlannedTensor(
                    name: "rope_freqs.weight", shape: [pairs], type: .f32, initialisation: .ropeFrequencyFactors))
        }
        for layer in 0..<h.blockCount {
            let p = "blk.\(layer)."
            tensors.append(norm(p + "attn_norm.weight", dim))
            if arch.hasFusedQKV {
                tensors.append(matrix(p + "attn_qkv.weight", [dim, qDim + 2 * kv]))
                tensors.append(bias(p + "attn_qkv.bias", qDim + 2 * kv))
            } else {
                tensors.append(matrix(p + "attn_q.weight", [dim, qDim]))
                tensors.append(matrix(p + "attn_k.weight", [dim, kv]))
                tensors.append(matrix(p + "attn_v.weight", [dim, kv]))
            }
            if arch.hasAttentionBiases {
                tensors.append(bias(p + "attn_q.bias", qDim))
                tensors.append(bias(p + "attn_k.bias", kv))
                tensors.append(bias(p + "attn_v.bias", kv))
            }
            if arch.hasQueryKeyNorms {
                tensors.append(norm(p + "attn_q_norm.weight", h.headDimension))
                tensors.append(norm(p + "attn_k_norm.weight", h.headDimension))
            }
            tensors.append(matrix(p + "attn_output.weight", [qDim, dim]))
            tensors.append(norm(p + "ffn_norm.weight", dim))
            tensors.append(matrix(p + "ffn_gate.weight", [dim, ff]))
            tensors.append(matrix(p + "ffn_up.weight", [dim, ff]))
            tensors.append(matrix(p + "ffn_down.weight", [ff, dim]))
        }
        tensors.append(norm("output_norm.weight", dim))
        if !h.tiedEmbeddings {
            tensors.append(matrix("output.weight", [dim, vocab]))
        }
        return quantization.map { mixed(tensors, as: $0) } ?? tensors
    }

    /// The standard deviation of the matrix with role `role` (`token_embd`, `attn_q`, `ffn_down`, ...).
    public func standardDeviation(of role: String) -> Float {
        let h = hyperparameters
        let d = Float(h.embeddingLength)
        switch role {
        case "attn_output": return 0.3 / d
        case "ffn_down": return 0.5 / (0.6 * (Float(h.blockCount) * Float(h.feedForwardLength)).squareRoot())
        default: return 1 / d.squareRoot()  // token_embd, output, attn_q/k/v, ffn_gate/up
        }
    }

    /// Llama 3.1-like RoPE frequency factors for `pairs` pairs: 1 for the first third (high frequencies kept), 8 for
    /// the last third (low frequencies slowed eightfold), a linear ramp between.
    public static func ropeFrequencyFactors(pairs: Int) -> [Float] {
        (0..<pairs).map { i in
            let t = pairs > 1 ? Float(i) / Float(pairs - 1) : 0
            return 1 + 7 * min(1, max(0, 3 * t - 1))
        }
    }

    /// llama.cpp's `general.file_type` (`LLAMA_FTYPE_*`) for models whose matrices are `type`.
    public static func fileType(for type: GGMLType) -> UInt32 {
        switch type {
        case .f32: 0
        case .f16: 1
        case .q4_0: 2
        case .q8_0: 7
        case .bf16: 32
        default: 0
        }
    }

    /// The file's metadata: general keys, the architecture's hyperparameters, then the tokenizer.
    public func metadata() throws(ModelBuildError) -> GGUFMetadata {
        try validate()
        var metadata = GGUFMetadata()
        metadata["general.architecture"] = .string(hyperparameters.architecture.rawValue)
        metadata["general.name"] = .string(name)
        metadata["general.file_type"] = .uint32(quantization?.fileTypeID ?? Self.fileType(for: tensorType))
        metadata["general.quantization_version"] = .uint32(2)
        for entry in hyperparameters.metadataEntries(vocabularySize: vocabularySize!) {
            metadata[entry.key] = entry.value
        }
        for entry in tokenizer.entries where entry.key.hasPrefix("tokenizer.") {
            metadata[entry.key] = entry.value
        }
        return metadata
    }

    /// A writer holding the whole model; the weights are generated when it writes.
    public func makeWriter() throws(ModelBuildError) -> GGUFWriter {
        var writer = GGUFWriter(metadata: try metadata())
        for tensor in try plan() {
            let seed = Self.tensorSeed(seed, name: tensor.name)
            do {
                try writer.addTensor(name: tensor.name, type: tensor.type, shape: tensor.shape) { sink in
                    try Self.generate(tensor, seed: seed, into: sink)
                }
            } catch {
                throw ModelBuildError(.gguf, "\(error)")
            }
        }
        return writer
    }

    /// Builds the model and writes it to `path` (atomically).
    public func write(to path: String) throws(ModelBuildError) {
        let writer = try makeWriter()
        do {
            try writer.write(to: path)
        } catch {
            throw ModelBuildError(.gguf, "\(error)")
        }
    }

    /// Number of weights in the model.
    public func parameterCount() throws(ModelBuildError) -> Int {
        try plan().reduce(0) { $0 + $1.shape.reduce(1, *) }
    }

    /// The seed of one tensor's stream: the model seed mixed with a hash of the tensor's name.
    static func tensorSeed(_ seed: UInt64, name: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in name.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        var mix = SplitMix64(seed: seed ^ hash)
        return mix.next()
    }

    /// Draws `tensor`'s values row by row and writes them, encoded, into `sink`.
    static func generate(_ tensor: PlannedTensor, seed: UInt64, into sink: GGUFDataSink) throws {
        if tensor.initialisation == .ropeFrequencyFactors {
            return try sink.write(floats: ropeFrequencyFactors(pairs: tensor.shape[0]), as: tensor.type)
        }
        var gaussian = GaussianGenerator(seed: seed)
        let rowLength = tensor.shape[0]
        let rows = tensor.shape.dropFirst().reduce(1, *)
        let (mean, deviation): (Float, Float) =
            switch tensor.initialisation {
            case .matrix(let sd): (0, sd)
            case .norm: (1, smallStandardDeviation)
            case .bias, .ropeFrequencyFactors: (0, smallStandardDeviation)
            }
        // Several rows at a time keep the sink's per-call work large without holding the whole tensor; block types
        // take bigger chunks, whose rows are quantized on every core (each row's bytes depend on it alone).
        let quantized = tensor.type.blockSize > 1
        let rowsPerChunk = max(1, min(rows, (quantized ? 1 << 20 : 1 << 16) / rowLength))
        var chunk = [Float](repeating: 0, count: rowsPerChunk * rowLength)
        var row = 0
        while row < rows {
            let n = min(rowsPerChunk, rows - row)
            let count = n * rowLength
            if count != chunk.count { chunk = [Float](repeating: 0, count: count) }
            gaussian.fill(&chunk, mean: mean, standardDeviation: deviation)
            if quantized && n > 1 {
                try sink.write(
                    try tensor.type.quantize(chunk, rows: n, threads: ProcessInfo.processInfo.activeProcessorCount))
            } else {
                try sink.write(floats: chunk, as: tensor.type)
            }
            row += n
        }
    }
}
