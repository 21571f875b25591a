/// The model architectures Batchgate runs, by their llama.cpp names (`general.architecture`).
///
/// What differs between them, as llama.cpp's loader and graph see it:
/// - `llama`: separate q, k, v without biases, adjacent-pair RoPE, an optional `rope_freqs.weight` (Llama 3.1).
/// - `qwen` (the original Qwen-7B/14B/72B): one fused `attn_qkv` matrix with a bias, as many kv heads as heads, NeoX
///   RoPE, and a `feed_forward_length` twice the width of the network's `ffn_*` matrices.
/// - `qwen2`: separate q, k, v with biases, NeoX RoPE, heads exactly dim/heads wide.
/// - `qwen3`: separate q, k, v without biases, RMSNorm of each query and key head before RoPE, NeoX RoPE, and a head
///   width from `attention.key_length` that need not be dim/heads.
public enum ModelArchitecture: String, Sendable, CaseIterable {
    case llama
    case qwen
    case qwen2
    case qwen3

    /// The supported names, for messages: "llama, qwen, qwen2, qwen3".
    public static var supportedNames: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Whether the separate q, k and v projections carry biases (Qwen2 does, Llama and Qwen3 do not).
    public var hasAttentionBiases: Bool { self == .qwen2 }

    /// Whether q, k and v come from one fused matrix `attn_qkv` with bias `attn_qkv.bias` (the original Qwen).
    public var hasFusedQKV: Bool { self == .qwen }

    /// Whether each query and key head is RMS-normalised (`attn_q_norm`, `attn_k_norm`) before RoPE (Qwen3).
    public var hasQueryKeyNorms: Bool { self == .qwen3 }

    /// Whether RoPE rotates the two halves of a head (NeoX) rather than adjacent pairs (Llama).
    public var usesNeoXRope: Bool { self != .llama }

    /// Whether llama.cpp's loader takes heads whose width (`attention.key_length`) is not dim/heads.
    public var allowsFreeHeadWidth: Bool { self == .llama || self == .qwen3 }

    /// Whether llama.cpp's loader accepts a file without `output.weight` (the output then reuses the embedding).
    public var allowsTiedEmbeddings: Bool { self != .qwen }

    /// Whether llama.cpp applies a `rope_freqs.weight` tensor when the file has one (only its llama graph does).
    public var readsRopeFrequencyFactors: Bool { self == .llama }

    /// How many times the network's feed-forward width the file's `feed_forward_length` states: 2 for the original
    /// Qwen, whose converter writes the Hugging Face `intermediate_size` and whose loader halves it.
    public var feedForwardLengthMultiple: Int { self == .qwen ? 2 : 1 }

    /// The RoPE base a file of this architecture is usually made with.
    public var defaultRopeFreqBase: Float { self == .qwen2 || self == .qwen3 ? 1_000_000 : 10_000 }

    /// The RMSNorm epsilon a file of this architecture is usually made with.
    public var defaultRMSNormEpsilon: Float { self == .llama ? 1e-5 : 1e-6 }
}
