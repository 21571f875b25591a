import GGUF
import Testing

/// The per-tensor type rules of llama.cpp's `llama_tensor_get_type` (default llama-quantize options) as
/// `QuantizationPlan` applies them; the CLI tests check whole files against llama-quantize itself.
@Suite("Quantization plan")
struct QuantizationPlanTests {
    /// A llama-style model's tensors: `layers` blocks of dim `dim`, ff `ff`, kv width `kv`, optionally untied.
    static func tensors(layers: Int, dim: Int = 256, ff: Int = 768, kv: Int = 128, tied: Bool = false)
        -> [QuantizationPlan.Tensor]
    {
        var list = [QuantizationPlan.Tensor(name: "token_embd.weight", shape: [dim, 1000], type: .f16)]
        for layer in 0..<layers {
            let p = "blk.\(layer)."
            list += [
                .init(name: p + "attn_norm.weight", shape: [dim], type: .f32),
                .init(name: p + "attn_q.weight", shape: [dim, dim], type: .f16),
                .init(name: p + "attn_k.weight", shape: [dim, kv], type: .f16),
                .init(name: p + "attn_v.weight", shape: [dim, kv], type: .f16),
                .init(name: p + "attn_q.bias", shape: [dim], type: .f32),
                .init(name: p + "attn_output.weight", shape: [dim, dim], type: .f16),
                .init(name: p + "ffn_gate.weight", shape: [dim, ff], type: .f16),
                .init(name: p + "ffn_down.weight", shape: [ff, dim], type: .f16),
            ]
        }
        list.append(.init(name: "output_norm.weight", shape: [dim], type: .f32))
        if !tied { list.append(.init(name: "output.weight", shape: [dim, 1000], type: .f16)) }
        return list
    }

    static func plan(_ fileType: QuantizationFileType, layers: Int, heads: Int = 8, kvHeads: Int = 4)
        -> QuantizationPlan
    {
        QuantizationPlan(
            fileType: fileType,
            model: .init(architecture: "llama", blockCount: layers, headCount: heads, headCountKV: kvHeads))
    }

    static func types(_ plan: QuantizationPlan, _ tensors: [QuantizationPlan.Tensor]) -> [String: GGMLType] {
        Dictionary(uniqueKeysWithValues: zip(tensors.map(\.name), plan.targetTypes(tensors)))
    }

    @Test("Q4_K_M: attn_v and ffn_down use Q6_K in the first and last eighth and every third layer between")
    func moreBits() {
        let tensors = Self.tensors(layers: 16)
        let types = Self.types(Self.plan(.q4_K_M, layers: 16), tensors)
        let q6Layers = (0..<16).filter { types["blk.\($0).attn_v.weight"] == .q6_K }
        #expect(q6Layers == [0, 1, 4, 7, 10, 13, 14, 15])
        #expect((0..<16).filter { types["blk.\($0).ffn_down.weight"] == .q6_K } == q6Layers)
        #expect(types["blk.5.attn_v.weight"] == .q4_K)
        #expect(types["blk.5.attn_q.weight"] == .q4_K)
        #expect(types["output.weight"] == .q6_K)
        #expect(types["token_embd.weight"] == .q4_K)
        #expect(types["blk.0.attn_norm.weight"] == .f32 && types["blk.0.attn_q.bias"] == .f32)
    }

    @Test("Tied embeddings take the output's type")
    func tied() {
        let tensors = Self.tensors(layers: 2, tied: true)
        #expect(Self.types(Self.plan(.q4_0, layers: 2), tensors)["token_embd.weight"] == .q6_K)
        #expect(Self.types(Self.plan(.q8_0, layers: 2), tensors)["token_embd.weight"] == .q8_0)
    }

    @Test("Q3_K_M: the first two attn_v get Q5_K, ffn_down of the first sixteenth Q5_K, attn_output Q4_K")
    func q3KM() {
        let types = Self.types(Self.plan(.q3_K_M, layers: 32), Self.tensors(layers: 32))
        #expect(
            (0..<32).map { types["blk.\($0).attn_v.weight"] } == [.q5_K, .q5_K] + Array(repeating: .q4_K, count: 30))
        #expect(types["blk.1.ffn_down.weight"] == .q5_K && types["blk.2.ffn_down.weight"] == .q4_K)
        #expect(types["blk.3.attn_output.weight"] == .q4_K && types["blk.3.ffn_gate.weight"] == .q3_K)
    }

    @Test("Q2_K and IQ4 look at query heads per kv head")
    func groupedQuery() {
        let tensors = Self.tensors(layers: 8)
        #expect(Self.types(Self.plan(.q2_K, layers: 8, kvHeads: 4), tensors)["blk.3.attn_v.weight"] == .q3_K)
        #expect(Self.types(Self.plan(.q2_K, layers: 8, kvHeads: 2), tensors)["blk.3.attn_v.weight"] == .q4_K)
        #expect(Self.types(Self.plan(.iq4_xs, layers: 8, kvHeads: 2), tensors)["blk.3.attn_v.weight"] == .q5_K)
        #expect(Self.types(Self.plan(.iq4_xs, layers: 8, kvHeads: 4), tensors)["blk.3.attn_v.weight"] == .iq4_xs)
        #expect(Self.types(Self.plan(.iq4_nl, layers: 8), tensors)["blk.0.ffn_down.weight"] == .q5_K)
    }

    @Test("Rows that are not whole blocks fall back as llama-quantize does")
    func fallbacks() {
        let tensors = Self.tensors(layers: 2, dim: 320, ff: 512, kv: 64)
        let expected: [(QuantizationFileType, GGMLType)] = [
            (.q2_K, .q4_0), (.q3_K_M, .q4_0), (.q4_K_M, .q5_0), (.q5_K_S, .q5_1), (.q6_K, .q8_0), (.iq4_xs, .iq4_nl),
        ]
        for (fileType, fallback) in expected {
            let types = Self.types(Self.plan(fileType, layers: 2), tensors)
            #expect(types["blk.0.ffn_gate.weight"] == fallback, "\(fileType)")
            #expect(types["output.weight"] == .q8_0, "\(fileType)")
        }
        let odd = [QuantizationPlan.Tensor(name: "blk.0.ffn_up.weight", shape: [48, 64], type: .f32)]
        #expect(Self.plan(.q4_K_M, layers: 1).targetTypes(odd) == [.f16])
        #expect(Self.plan(.q8_0, layers: 1).targetTypes(odd) == [.f16])
    }

    @Test("File order: outside blocks first, then blocks by number, names bytewise")
    func order() {
        let names = ["blk.10.a.weight", "token_embd.weight", "blk.9.b.weight", "blk.9.a.weight", "output.weight"]
        #expect(
            QuantizationPlan.fileOrder(names).map { names[$0] } == [
                "output.weight", "token_embd.weight", "blk.9.a.weight", "blk.9.b.weight", "blk.10.a.weight",
            ])
    }

    @Test("File type names, numbers and default types")
    func fileTypes() {
        #expect(QuantizationFileType(name: "Q4_K_M") == .q4_K_M)
        #expect(QuantizationFileType(name: "q4_k") == nil)
        #expect(QuantizationFileType.q4_K_M.fileTypeID == 15 && QuantizationFileType.iq4_xs.fileTypeID == 30)
        #expect(QuantizationFileType.q3_K_M.defaultType == .q3_K && QuantizationFileType.q5_K_S.description == "Q5_K_S")
    }
}
