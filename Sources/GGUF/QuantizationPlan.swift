/// The type each tensor gets in a quantized file, chosen as llama.cpp's `llama_tensor_get_type` chooses with
/// llama-quantize's default options (no importance matrix, no overrides): output and tied embeddings get Q6_K,
/// some attn_v/ffn_down layers "use more bits", rows that are not whole blocks fall back to a smaller block, and
/// 1-D tensors, norms and biases keep their type.
public struct QuantizationPlan: Sendable {
    /// The model facts the rules look at.
    public struct Model: Sendable {
        /// `general.architecture` (llama, qwen, qwen2, qwen3...).
        public var architecture: String
        /// `ARCH.block_count`.
        public var blockCount: Int
        /// `ARCH.attention.head_count`.
        public var headCount: Int
        /// `ARCH.attention.head_count_kv` (the head count when absent).
        public var headCountKV: Int
        /// `ARCH.expert_count` (0 for dense models).
        public var expertCount: Int

        /// Creates the facts from their values.
        public init(architecture: String, blockCount: Int, headCount: Int, headCountKV: Int, expertCount: Int = 0) {
            self.architecture = architecture
            self.blockCount = blockCount
            self.headCount = headCount
            self.headCountKV = headCountKV
            self.expertCount = expertCount
        }

        /// The facts a GGUF file's metadata states, or nil when it lacks the architecture or block count.
        public init?(metadata: GGUFMetadata) {
            guard let arch = metadata.string("general.architecture"), let blocks = metadata.int("\(arch).block_count")
            else { return nil }
            let heads = metadata.int("\(arch).attention.head_count") ?? 0
            self.init(
                architecture: arch, blockCount: blocks, headCount: heads,
                headCountKV: metadata.int("\(arch).attention.head_count_kv") ?? heads,
                expertCount: metadata.int("\(arch).expert_count") ?? 0)
        }

        /// Query heads per key/value head (llama.cpp's `n_gqa`; 0 without kv heads).
        var groupedQueryFactor: Int { headCountKV > 0 ? headCount / headCountKV : 0 }

        /// Whether llama.cpp sizes the model as 70B (its attn_v gets at least Q5_K).
        var is70B: Bool {
            guard blockCount == 80 else { return false }
            switch architecture {
            case "llama": return headCount != headCountKV
            case "qwen2": return true
            default: return false
            }
        }
    }

    /// One tensor to plan: its name, ggml shape (row length first) and current type.
    public struct Tensor: Sendable {
        /// The tensor's name.
        public var name: String
        /// Its dimensions, innermost first.
        public var shape: [Int]
        /// Its type in the input.
        public var type: GGMLType

        /// Creates a tensor description.
        public init(name: String, shape: [Int], type: GGMLType) {
            self.name = name
            self.shape = shape
            self.type = type
        }
    }

    /// The file type being made.
    public let fileType: QuantizationFileType
    /// The model the rules look at.
    public let model: Model

    /// Creates a plan for `model` quantized to `fileType`.
    public init(fileType: QuantizationFileType, model: Model) {
        self.fileType = fileType
        self.model = model
    }

    /// llama.cpp's tensor order in a quantized file: tensors outside blocks first, then block 0, 1, ...; by name
    /// (bytewise) within each.
    public static func fileOrder(_ names: [String]) -> [Int] {
        let layers = names.map(layerNumber)
        return names.indices.sorted { a, b in
            if layers[a] != layers[b] { return layers[a] < layers[b] }
            return names[a].utf8.lexicographicallyPrecedes(names[b].utf8)
        }
    }

    /// The block number in a name `blk.N.…`, or −1.
    static func layerNumber(_ name: String) -> Int {
        guard name.hasPrefix("blk.") else { return -1 }
        let digits = name.dropFirst(4).prefix { $0.isASCII && ($0.isNumber || $0 == "-" || $0 == "+") }
        return Int(digits) ?? -1
    }

    /// Whether llama-quantize quantizes the tensor at all: 2-D or more, named `….weight`, not a norm, router or
    /// one of the small tables it keeps.
    public static func allowsQuantization(name: String, shape: [Int]) -> Bool {
        guard significantDimensions(shape) >= 2, name.hasSuffix("weight") else { return false }
        let kept = [
            "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel",
            "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight",
            "indexer.q_proj.weight", "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight",
            "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight",
            "time_mix_a0.weight", "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight",
            "time_mix_g2.weight", "time_mix_decay_w1.weight", "time_mix_decay_w2.weight",
            "time_mix_lerp_fused.weight", "attn_rel_b.weight", ".position_embd", "sam.pos_embd", "sam.neck.",
            "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger", "a.rvq.codebook", "mm.a.code_embd",
        ]
        if kept.contains(where: { name.contains($0) }) { return false }
        return name != "position_embd.weight" && name != "token_types.weight"
    }

    /// ggml's `ggml_n_dims`: the dimensions left after dropping trailing 1s (at least 1).
    public static func significantDimensions(_ shape: [Int]) -> Int {
        var n = shape.count
        while n > 1 && shape[n - 1] == 1 { n -= 1 }
        return max(n, 1)
    }

    /// The broad role llama.cpp's rules key on.
    enum Category {
        case output, tokenEmbedding, attentionQKV, attentionKVB, attentionV, attentionK, attentionQ
        case attentionOutput, ffnUp, ffnGate, ffnDown, other

        init(name: String) {
            if name == "output.weight" {
                self = .output
            } else if name == "token_embd.weight" || name == "per_layer_token_embd.weight" {
                self = .tokenEmbedding
            } else {
                let rules: [(String, Category)] = [
                    ("attn_qkv.weight", .attentionQKV), ("attn_kv_b.weight", .attentionKVB),
                    ("attn_v.weight", .attentionV), ("attn_k.weight", .attentionK), ("attn_q.weight", .attentionQ),
                    ("attn_output.weight", .attentionOutput), ("ffn_up", .ffnUp), ("ffn_gate", .ffnGate),
                    ("ffn_down", .ffnDown),
                ]
                self = rules.first { name.contains($0.0) }?.1 ?? .other
            }
        }

        var isAttentionV: Bool { self == .attentionV || self == .attentionQKV || self == .attentionKVB }
    }

    /// The output type of every tensor in `tensors` (same order as given), evaluating the rules in llama.cpp's
    /// file order as its counters need.
    public func targetTypes(_ tensors: [Tensor]) -> [GGMLType] {
        let categories = tensors.map { Category(name: $0.name) }
        var state = State(
            attentionVCount: categories.filter(\.isAttentionV).count,
            tiedEmbeddings: !categories.contains(.output))
        var result = tensors.map(\.type)
        for i in Self.fileOrder(tensors.map(\.name)) {
            let t = tensors[i]
            guard Self.allowsQuantization(name: t.name, shape: t.shape) else { continue }
            var type = chooseType(t, categories[i], &state)
            type = Self.fallback(type, rowLength: t.shape[0])
            result[i] = type
        }
        return result
    }

    /// The counters llama.cpp keeps while choosing types.
    struct State {
        var attentionVCount: Int
        var tiedEmbeddings: Bool
        var attentionV = 0
        var ffnDown = 0
    }

    /// llama.cpp's `use_more_bits`: the first and last eighth of the layers and every third one between.
    static func useMoreBits(_ layer: Int, _ layers: Int) -> Bool {
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2
    }

    /// llama.cpp's `llama_tensor_get_type_impl` for the file types we make.
    private func chooseType(_ tensor: Tensor, _ category: Category, _ state: inout State) -> GGMLType {
        var type = fileType.defaultType
        let gqa = model.groupedQueryFactor
        if category == .output || (state.tiedEmbeddings && category == .tokenEmbedding) {
            if tensor.shape[0] % type.blockSize != 0 {
                type = .q8_0
            } else if type != .q8_0 {
                type = .q6_K
            }
        } else if category == .tokenEmbedding {
            // no rule for these file types
        } else if category.isAttentionV {
            switch fileType {
            case .q2_K: type = gqa >= 4 ? .q4_K : .q3_K
            case .q3_K_M: type = state.attentionV < 2 ? .q5_K : .q4_K
            case .iq4_nl where gqa >= 4, .iq4_xs where gqa >= 4: type = .q5_K
            case .q4_K_M where Self.useMoreBits(state.attentionV, state.attentionVCount),
                .q5_K_M where Self.useMoreBits(state.attentionV, state.attentionVCount):
                type = .q6_K
            case .q4_K_S where state.attentionV < 4: type = .q5_K
            default: break
            }
            if model.is70B && (type == .q3_K || type == .q4_K) { type = .q5_K }
            if model.expertCount == 8 { type = .q8_0 }
            state.attentionV += 1
        } else if category == .attentionK {
            if model.expertCount == 8 { type = .q8_0 }
        } else if category == .ffnDown {
            var layer = state.ffnDown
            let layers = model.blockCount
            if model.expertCount > 1 { layer = Self.layerNumber(tensor.name) }
            switch fileType {
            case .q2_K: type = .q3_K
            case .q3_K_M: type = layer < layers / 16 ? .q5_K : .q4_K
            case .q4_K_M: if Self.useMoreBits(layer, layers) { type = .q6_K }
            case .iq4_nl where layer < layers / 8, .iq4_xs where layer < layers / 8: type = .q5_K
            case .q5_K_M where Self.useMoreBits(layer, layers): type = .q6_K
            case .q4_K_S where layer < layers / 8: type = .q5_K
            default: break
            }
            state.ffnDown += 1
        } else if category == .attentionOutput {
            if model.expertCount == 8 {
                if [.q2_K, .q3_K_M, .iq4_nl, .q4_K_S, .q4_K_M, .iq4_xs].contains(fileType) { type = .q5_K }
            } else if fileType == .q2_K {
                type = .q3_K
            } else if fileType == .q3_K_M {
                type = .q4_K
            }
        }
        return type
    }

    /// llama.cpp's `tensor_type_fallback`: a type whose block does not divide the row length is replaced by one
    /// with 32-value blocks, or F16 when even that does not fit.
    static func fallback(_ type: GGMLType, rowLength: Int) -> GGMLType {
        guard rowLength % type.blockSize != 0 else { return type }
        var result: GGMLType
        switch type {
        case .iq1_s, .iq1_m, .iq2_xxs, .iq2_xs, .iq2_s, .iq3_xxs, .iq3_s, .iq4_xs: result = .iq4_nl
        case .q2_K, .q3_K, .tq1_0, .tq2_0: result = .q4_0
        case .q4_K: result = .q5_0
        case .q5_K: result = .q5_1
        case .q6_K: result = .q8_0
        default: result = type
        }
        if rowLength % result.blockSize != 0 { result = .f16 }
        return result
    }
}
