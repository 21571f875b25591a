import GGUF

/// A llama, qwen, qwen2 or qwen3 model file, memory-mapped: hyperparameters and every tensor checked and mapped by name.
/// Matrices stay as stored (F16, Q8_0, …) in the mapping; only the small norm and bias vectors are read as F32.
public final class ModelWeights: Sendable {
    /// The mapped file; it keeps the bytes every `WeightMatrix` points into alive.
    public let file: GGUFFile
    /// The model's sizes and constants.
    public let hyperparameters: ModelHyperparameters
    /// Number of tokens in the vocabulary (rows of the embedding).
    public let vocabularySize: Int
    /// RoPE's constants: scaling (linear or YaRN) and the frequency factors of `rope_freqs.weight` (llama).
    public let rope: RopeParameters
    /// Token embedding (`token_embd.weight`, one row per token).
    public let tokenEmbedding: WeightMatrix
    /// The blocks this engine runs: all of them, or one pipeline stage's contiguous range (`ModelLayerRange`).
    public let layerRange: Range<Int>
    /// The transformer blocks of `layerRange`, in order (`layers[0]` is block `layerRange.lowerBound`).
    public let layers: [LayerWeights]
    /// Final RMSNorm weight.
    public let outputNorm: [Float]
    /// Output projection to logits (the token embedding when the file has no `output.weight`).
    public let output: WeightMatrix
    /// End-of-generation token ids (`eos`, `eot`) from the tokenizer metadata.
    public let endOfGenerationTokens: Set<Int32>

    /// Maps the model at `path`; with `layers`, only that range of blocks (a pipeline stage).
    public convenience init(path: String, layers: Range<Int>? = nil) throws(EngineError) {
        let file: GGUFFile
        do {
            file = try GGUFFile(path: path)
        } catch {
            throw EngineError(.invalidModel, "\(error)")
        }
        try self.init(file: file, layers: layers)
    }

    /// Checks and maps the tensors of `file`: every block's, or only those of `layers` (a pipeline stage). The
    /// embedding, output norm and head are mapped either way; the file is memory-mapped, so a stage reads only the
    /// pages of the tensors it uses.
    public init(file: GGUFFile, layers range: Range<Int>? = nil) throws(EngineError) {
        self.file = file
        let metadata = file.metadata
        let arch = metadata.string("general.architecture") ?? "(missing)"
        guard ModelArchitecture(rawValue: arch) != nil else {
            throw EngineError(
                .unsupportedArchitecture,
                "\(file.path): architecture '\(arch)' is not supported (\(ModelArchitecture.supportedNames))")
        }
        let h: ModelHyperparameters
        do {
            h = try ModelHyperparameters(metadata: metadata)
        } catch {
            throw EngineError(.invalidModel, "\(file.path): \(error.detail)")
        }
        hyperparameters = h
        if let ropeDims = metadata.int("\(arch).rope.dimension_count"), ropeDims != h.headDimension {
            throw EngineError(
                .invalidModel, "\(file.path): partial RoPE (\(ropeDims) of \(h.headDimension) dims) is not supported")
        }

        let loader = TensorLoader(file: file)
        let dim = h.embeddingLength
        let embedding = try loader.matrix("token_embd.weight", columns: dim, rows: nil)
        vocabularySize = embedding.rows
        tokenEmbedding = embedding
        // llama.cpp's llama graph divides theta by these factors (Llama 3.1's rope_freqs); other graphs ignore them.
        let factorsName = "rope_freqs.weight"
        let factors =
            h.architecture.readsRopeFrequencyFactors && file.tensor(named: factorsName) != nil
            ? try loader.vector(factorsName, count: h.headDimension / 2) : nil
        rope = RopeParameters(hyperparameters: h, frequencyFactors: factors)
        let range = range ?? 0..<h.blockCount
        guard !range.isEmpty, range.lowerBound >= 0, range.upperBound <= h.blockCount else {
            throw EngineError(
                .invalidModel,
                "\(file.path): layers \(range.lowerBound)-\(range.upperBound - 1) are not a range within the model's "
                    + "\(h.blockCount) layers (0-\(h.blockCount - 1))")
        }
        layerRange = range
        var layers: [LayerWeights] = []
        for i in range {
            layers.append(try loader.layer(i, hyperparameters: h))
        }
        self.layers = layers
        outputNorm = try loader.vector("output_norm.weight", count: dim)
        if file.tensor(named: "output.weight") != nil || !h.architecture.allowsTiedEmbeddings {
            output = try loader.matrix("output.weight", columns: dim, rows: vocabularySize)
        } else {
            output = embedding
        }
        var stops = Set<Int32>()
        for key in ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"] {
            if let id = metadata.int(key), id >= 0, id < vocabularySize { stops.insert(Int32(id)) }
        }
        endOfGenerationTokens = stops
    }
}

extension TensorLoader {
    /// The weights of block `i`, named and shaped as llama.cpp's loader for the architecture expects them.
    func layer(_ i: Int, hyperparameters h: ModelHyperparameters) throws(EngineError) -> LayerWeights {
        let p = "blk.\(i)."
        let dim = h.embeddingLength
        let qDim = h.queryDimension
        let kv = h.kvDimension
        let ff = h.feedForwardLength
        let arch = h.architecture
        let query: WeightMatrix, key: WeightMatrix, value: WeightMatrix
        var biases: (q: [Float], k: [Float], v: [Float])?
        if arch.hasFusedQKV {
            // One matrix whose rows are q's, then k's, then v's; the views compute the same dot products.
            let qkv = try matrix(p + "attn_qkv.weight", columns: dim, rows: qDim + 2 * kv)
            query = qkv.rows(0..<qDim)
            key = qkv.rows(qDim..<(qDim + kv))
            value = qkv.rows((qDim + kv)..<(qDim + 2 * kv))
            let b = try vector(p + "attn_qkv.bias", count: qDim + 2 * kv)
            biases = (Array(b[0..<qDim]), Array(b[qDim..<(qDim + kv)]), Array(b[(qDim + kv)...]))
        } else {
            query = try matrix(p + "attn_q.weight", columns: dim, rows: qDim)
            key = try matrix(p + "attn_k.weight", columns: dim, rows: kv)
            value = try matrix(p + "attn_v.weight", columns: dim, rows: kv)
            if arch.hasAttentionBiases {
                biases = (
                    try vector(p + "attn_q.bias", count: qDim), try vector(p + "attn_k.bias", count: kv),
                    try vector(p + "attn_v.bias", count: kv)
                )
            }
        }
        let norms = arch.hasQueryKeyNorms
        return LayerWeights(
            attentionNorm: try vector(p + "attn_norm.weight", count: dim),
            query: query, key: key, value: value,
            queryBias: biases?.q, keyBias: biases?.k, valueBias: biases?.v,
            queryNorm: norms ? try vector(p + "attn_q_norm.weight", count: h.headDimension) : nil,
            keyNorm: norms ? try vector(p + "attn_k_norm.weight", count: h.headDimension) : nil,
            attentionOutput: try matrix(p + "attn_output.weight", columns: qDim, rows: dim),
            feedForwardNorm: try vector(p + "ffn_norm.weight", count: dim),
            gate: try matrix(p + "ffn_gate.weight", columns: dim, rows: ff),
            up: try matrix(p + "ffn_up.weight", columns: dim, rows: ff),
            down: try matrix(p + "ffn_down.weight", columns: ff, rows: dim))
    }
}

extension WeightMatrix {
    /// The rows `range` of this matrix, as a matrix of their own over the same bytes.
    func rows(_ range: Range<Int>) -> WeightMatrix {
        WeightMatrix(type: type, rows: range.count, columns: columns, base: row(range.lowerBound))
    }
}

/// Looks tensors up by name and checks their shapes and types.
struct TensorLoader {
    let file: GGUFFile

    func info(_ name: String) throws(EngineError) -> GGUFTensorInfo {
        guard let info = file.tensor(named: name) else {
            throw EngineError(.invalidModel, "\(file.path): tensor '\(name)' is missing")
        }
        return info
    }

    /// A matrix of `rows` (any number when nil) rows of `columns` elements, of a type the kernels multiply.
    func matrix(_ name: String, columns: Int, rows: Int?) throws(EngineError) -> WeightMatrix {
        let t = try info(name)
        let actualRows = t.shape.count == 2 ? t.shape[1] : -1
        guard t.shape.count == 2, t.shape[0] == columns, rows == nil || actualRows == rows, actualRows > 0 else {
            throw EngineError(
                .invalidModel,
                "\(file.path): tensor '\(name)' has shape \(t.shape), expected [\(columns), \(rows.map(String.init) ?? "n")]"
            )
        }
        guard WeightMatrix.supportedTypes.contains(t.type), columns % t.type.blockSize == 0 else {
            throw EngineError(.invalidModel, "\(file.path): tensor '\(name)' has unsupported type \(t.type)")
        }
        let base = file.bytes(of: t).baseAddress!
        return WeightMatrix(type: t.type, rows: actualRows, columns: columns, base: base)
    }

    /// A vector of `count` elements, decoded to F32.
    func vector(_ name: String, count: Int) throws(EngineError) -> [Float] {
        let t = try info(name)
        guard t.shape == [count], t.type.canDequantize else {
            throw EngineError(
                .invalidModel, "\(file.path): tensor '\(name)' has shape \(t.shape) of \(t.type), expected [\(count)]")
        }
        do {
            return try file.dequantize(t)
        } catch {
            throw EngineError(.invalidModel, "\(file.path): \(error)")
        }
    }
}
