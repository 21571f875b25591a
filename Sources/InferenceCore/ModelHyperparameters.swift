import GGUF

/// The sizes and constants that define a decoder-only transformer, as llama.cpp's GGUF metadata states them.
public struct ModelHyperparameters: Sendable, Equatable {
    /// The architecture.
    public var architecture: ModelArchitecture
    /// Width of the residual stream (`embedding_length`).
    public var embeddingLength: Int
    /// Number of transformer blocks (`block_count`).
    public var blockCount: Int
    /// Attention heads for queries (`attention.head_count`).
    public var headCount: Int
    /// Attention heads for keys and values (`attention.head_count_kv`); divides `headCount`.
    public var headCountKV: Int
    /// Hidden width of the feed-forward network: `feed_forward_length`, halved for the original Qwen (see
    /// `ModelArchitecture.feedForwardLengthMultiple`).
    public var feedForwardLength: Int
    /// Longest context the model is meant for (`context_length`).
    public var contextLength: Int
    /// RoPE base frequency (`rope.freq_base`).
    public var ropeFreqBase: Float
    /// RMSNorm epsilon (`attention.layer_norm_rms_epsilon`).
    public var rmsNormEpsilon: Float
    /// Whether the output projection reuses the token embedding (no `output.weight`).
    public var tiedEmbeddings: Bool
    /// Width of each attention head when the file states it (`attention.key_length`, equal to `value_length`);
    /// nil means dim/heads.
    public var headWidth: Int?
    /// RoPE scaling (`rope.scaling.*`).
    public var ropeScaling: RopeScaling

    /// Creates hyperparameters; unspecified sizes give a small model (dim 256, 4 layers, 8 heads, 4 kv heads,
    /// ff 768, context 2048, heads dim/heads wide, no RoPE scaling) and the architecture's usual RoPE base and
    /// epsilon.
    public init(
        architecture: ModelArchitecture, embeddingLength: Int = 256, blockCount: Int = 4, headCount: Int = 8,
        headCountKV: Int = 4, feedForwardLength: Int = 768, contextLength: Int = 2048, ropeFreqBase: Float? = nil,
        rmsNormEpsilon: Float? = nil, tiedEmbeddings: Bool = false, headWidth: Int? = nil,
        ropeScaling: RopeScaling = RopeScaling()
    ) {
        self.architecture = architecture
        self.embeddingLength = embeddingLength
        self.blockCount = blockCount
        self.headCount = headCount
        self.headCountKV = headCountKV
        self.feedForwardLength = feedForwardLength
        self.contextLength = contextLength
        self.ropeFreqBase = ropeFreqBase ?? architecture.defaultRopeFreqBase
        self.rmsNormEpsilon = rmsNormEpsilon ?? architecture.defaultRMSNormEpsilon
        self.tiedEmbeddings = tiedEmbeddings
        // A width of dim/heads is the default one: nil, so that files which state it and files which do not compare
        // equal.
        self.headWidth = headWidth.flatMap { $0 * headCount == embeddingLength ? nil : $0 }
        self.ropeScaling = ropeScaling
    }

    /// Width of one attention head: `headWidth`, or dim/heads.
    public var headDimension: Int { headWidth ?? embeddingLength / max(headCount, 1) }
    /// Width of the query projection and of the attention output (heads × head width; dim unless `headWidth` says
    /// otherwise).
    public var queryDimension: Int { headDimension * headCount }
    /// Width of the key and value projections.
    public var kvDimension: Int { headDimension * headCountKV }

    /// Throws unless the sizes fit together.
    public func validate() throws(ModelBuildError) {
        func fail(_ detail: String) -> ModelBuildError { ModelBuildError(.invalidHyperparameters, detail) }
        let sizes: [(String, Int)] = [
            ("dim", embeddingLength), ("layers", blockCount), ("heads", headCount), ("kv-heads", headCountKV),
            ("ff", feedForwardLength), ("context", contextLength),
        ]
        for (name, value) in sizes where value < 1 || value > 1 << 24 {
            throw fail("\(name) must be between 1 and \(1 << 24), got \(value)")
        }
        if let width = headWidth {
            guard architecture.allowsFreeHeadWidth else {
                throw fail("\(architecture) heads are dim/heads wide; head width \(width) × \(headCount) heads ≠ dim")
            }
            guard width >= 2, width <= 1 << 16, width % 2 == 0 else {
                throw fail("the head width must be even, between 2 and \(1 << 16), got \(width)")
            }
        } else {
            guard embeddingLength % headCount == 0 else {
                throw fail("dim \(embeddingLength) is not divisible by heads \(headCount)")
            }
            guard headDimension % 2 == 0 else {
                throw fail("the head dimension dim/heads = \(headDimension) must be even for RoPE")
            }
        }
        guard headCount % headCountKV == 0 else {
            throw fail("heads \(headCount) is not divisible by kv-heads \(headCountKV)")
        }
        guard !architecture.hasFusedQKV || headCountKV == headCount else {
            throw fail("\(architecture) has as many kv heads as heads (\(headCount)), got \(headCountKV)")
        }
        guard architecture.allowsTiedEmbeddings || !tiedEmbeddings else {
            throw fail("llama.cpp's \(architecture) loader needs output.weight: its embeddings cannot be tied")
        }
        try ropeScaling.validate()
        guard ropeFreqBase.isFinite, ropeFreqBase > 0 else {
            throw fail("rope base must be positive, got \(ropeFreqBase)")
        }
        guard rmsNormEpsilon.isFinite, rmsNormEpsilon > 0 else {
            throw fail("rms epsilon must be positive, got \(rmsNormEpsilon)")
        }
    }

    /// Throws unless every weight matrix's rows (dim and ff long) are whole blocks of `type` (32 values for Q4_0...
    /// Q8_0 and IQ4_NL, 256 for the k-quants and IQ4_XS).
    public func validate(tensorType type: GGMLType) throws(ModelBuildError) {
        guard type.canQuantize else {
            throw ModelBuildError(
                .invalidTensorType,
                "tensor type \(type) is not supported (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_K...q6_K, "
                    + "iq4_nl, iq4_xs)")
        }
        for (name, length) in [("dim", embeddingLength), ("ff", feedForwardLength)] where length % type.blockSize != 0 {
            throw ModelBuildError(
                .invalidTensorType,
                "\(type) needs row lengths that are multiples of \(type.blockSize): \(name) is \(length)")
        }
    }

    /// The hyperparameters a GGUF model file's metadata states.
    public init(metadata: GGUFMetadata) throws(ModelBuildError) {
        guard let archName = metadata.string("general.architecture"), let arch = ModelArchitecture(rawValue: archName)
        else {
            throw ModelBuildError(
                .invalidHyperparameters,
                "general.architecture is \(metadata.string("general.architecture") ?? "missing"), not one of "
                    + ModelArchitecture.supportedNames)
        }
        func int(_ key: String) throws(ModelBuildError) -> Int {
            guard let v = metadata.int("\(archName).\(key)") else {
                throw ModelBuildError(.invalidHyperparameters, "metadata \(archName).\(key) is missing")
            }
            return v
        }
        let heads = try int("attention.head_count")
        let statedFF = try int("feed_forward_length")
        guard statedFF % arch.feedForwardLengthMultiple == 0 else {
            throw ModelBuildError(
                .invalidHyperparameters, "\(archName).feed_forward_length \(statedFF) is odd; \(archName) halves it")
        }
        let keyLength = metadata.int("\(archName).attention.key_length")
        let valueLength = metadata.int("\(archName).attention.value_length")
        guard keyLength == valueLength || valueLength == nil else {
            throw ModelBuildError(
                .invalidHyperparameters,
                "key length \(keyLength.map(String.init) ?? "dim/heads") and value length \(valueLength!) differ")
        }
        self.init(
            architecture: arch, embeddingLength: try int("embedding_length"), blockCount: try int("block_count"),
            headCount: heads, headCountKV: metadata.int("\(archName).attention.head_count_kv") ?? heads,
            feedForwardLength: statedFF / arch.feedForwardLengthMultiple, contextLength: try int("context_length"),
            ropeFreqBase: metadata.double("\(archName).rope.freq_base").map(Float.init),
            rmsNormEpsilon: metadata.double("\(archName).attention.layer_norm_rms_epsilon").map(Float.init),
            tiedEmbeddings: false, headWidth: keyLength,
            ropeScaling: try RopeScaling(metadata: metadata, architecture: archName))
        try validate()
    }

    /// The `{arch}.*` metadata llama.cpp reads for these hyperparameters, in a stable order.
    public func metadataEntries(vocabularySize: Int) -> [(key: String, value: GGUFValue)] {
        let arch = architecture.rawValue
        func u32(_ v: Int) -> GGUFValue { .uint32(UInt32(v)) }
        return [
            ("\(arch).vocab_size", u32(vocabularySize)),
            ("\(arch).context_length", u32(contextLength)),
            ("\(arch).embedding_length", u32(embeddingLength)),
            ("\(arch).block_count", u32(blockCount)),
            ("\(arch).feed_forward_length", u32(feedForwardLength * architecture.feedForwardLengthMultiple)),
            ("\(arch).attention.head_count", u32(headCount)),
            ("\(arch).attention.head_count_kv", u32(headCountKV)),
            ("\(arch).rope.freq_base", .float32(ropeFreqBase)),
            ("\(arch).rope.dimension_count", u32(headDimension)),
            ("\(arch).attention.layer_norm_rms_epsilon", .float32(rmsNormEpsilon)),
        ] + headWidthEntries + ropeScaling.metadataEntries(architecture: arch)
    }

    /// `attention.key_length` and `value_length` when the heads are not dim/heads wide.
    private var headWidthEntries: [(key: String, value: GGUFValue)] {
        guard let width = headWidth else { return [] }
        let arch = architecture.rawValue
        return [
            ("\(arch).attention.key_length", .uint32(UInt32(width))),
            ("\(arch).attention.value_length", .uint32(UInt32(width))),
        ]
    }
}
