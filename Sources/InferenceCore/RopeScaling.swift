import GGUF

/// How a model stretches RoPE past the context it was trained on: llama.cpp's `{arch}.rope.scaling.*` metadata.
public struct RopeScaling: Sendable, Equatable {
    /// The method (`rope.scaling.type`).
    public enum Kind: String, Sendable, CaseIterable {
        /// Positions as they are.
        case none
        /// Every frequency divided by the factor (position interpolation).
        case linear
        /// YaRN: low frequencies interpolated, high ones kept, a band between mixed, q and k scaled up a little.
        case yarn
    }

    /// The method.
    public var kind: Kind
    /// `rope.scaling.factor`: how many times longer the usable context is; frequencies are scaled by its inverse.
    public var factor: Float
    /// `rope.scaling.original_context_length`: the context before scaling, which places YaRN's mixed band; nil means
    /// the model's `context_length`, as llama.cpp takes it.
    public var originalContextLength: Int?
    /// `rope.scaling.attn_factor`: a further scale of the rotated queries and keys (1 when the file has none).
    public var attentionFactor: Float

    /// Creates a scaling; the defaults scale nothing.
    public init(kind: Kind = .none, factor: Float = 1, originalContextLength: Int? = nil, attentionFactor: Float = 1) {
        self.kind = kind
        self.factor = factor
        self.originalContextLength = originalContextLength
        self.attentionFactor = attentionFactor
    }

    /// The scaling `arch`'s keys in `metadata` state. A missing type is linear in llama.cpp, which only matters when
    /// there is a factor, so it reads as `none` without one.
    public init(metadata: GGUFMetadata, architecture arch: String) throws(ModelBuildError) {
        let factor = metadata.double("\(arch).rope.scaling.factor").map(Float.init)
        let typeName = metadata.string("\(arch).rope.scaling.type") ?? (factor == nil ? "none" : "linear")
        guard let kind = Kind(rawValue: typeName) else {
            throw ModelBuildError(
                .invalidHyperparameters,
                "rope scaling '\(typeName)' is not supported (\(Kind.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        self.init(
            kind: kind, factor: factor.map { $0 == 0 ? 1 : $0 } ?? 1,
            originalContextLength: metadata.int("\(arch).rope.scaling.original_context_length"),
            attentionFactor: metadata.double("\(arch).rope.scaling.attn_factor").map(Float.init) ?? 1)
        try validate()
    }

    /// Throws unless the factors are positive and the original context is at least one token.
    public func validate() throws(ModelBuildError) {
        func fail(_ detail: String) -> ModelBuildError { ModelBuildError(.invalidHyperparameters, detail) }
        guard factor.isFinite, factor > 0 else { throw fail("rope scaling factor must be positive, got \(factor)") }
        guard attentionFactor.isFinite, attentionFactor > 0 else {
            throw fail("rope scaling attention factor must be positive, got \(attentionFactor)")
        }
        if let n = originalContextLength, n < 1 || n > 1 << 24 {
            throw fail("original context must be between 1 and \(1 << 24), got \(n)")
        }
    }

    /// The factor every frequency is multiplied by (ggml's `freq_scale`): 1 / `factor`, or 1 without scaling.
    public var frequencyScale: Float { kind == .none ? 1 : 1 / factor }

    /// The `{arch}.rope.scaling.*` entries llama.cpp reads for this scaling (none when nothing is scaled).
    public func metadataEntries(architecture arch: String) -> [(key: String, value: GGUFValue)] {
        var entries: [(key: String, value: GGUFValue)] = []
        if kind != .none {
            entries.append(("\(arch).rope.scaling.type", .string(kind.rawValue)))
            entries.append(("\(arch).rope.scaling.factor", .float32(factor)))
            if let n = originalContextLength {
                entries.append(("\(arch).rope.scaling.original_context_length", .uint32(UInt32(n))))
            }
        }
        if attentionFactor != 1 {
            entries.append(("\(arch).rope.scaling.attn_factor", .float32(attentionFactor)))
        }
        return entries
    }
}
