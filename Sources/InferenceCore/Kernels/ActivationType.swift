import GGUF

/// The form activations take before they meet a weight row: ggml's `vec_dot_type` of the weight type.
///
/// Converting the activations exactly as ggml does (F16 rounding for F16 weights, Q8_0 blocks for Q8_0 and Q4_0, Q8_K blocks for the K-quants)
/// is what makes our logits agree with llama.cpp's to the last few bits.
public enum ActivationType: Sendable {
    /// Plain F32 (F32 weights).
    case f32
    /// IEEE half, rounded to nearest even (F16 weights).
    case f16
    /// bfloat16 (BF16 weights).
    case bf16
    /// Q8_0 blocks of 32: an F16 scale and 32 int8 (Q8_0 and Q4_0 weights).
    case q8_0
    /// Q8_1 blocks of 32: an F16 scale, the F16 product of the unrounded scale and the sum of the 32 int8, and the
    /// int8 themselves (Q4_1 weights, whose minimum multiplies that sum).
    case q8_1
    /// Q8_K blocks of 256 (`Q8KBlock`): a float scale, 256 int8 and the sums of every 16 (the K-quants and IQ4_XS).
    case q8_K

    /// The activation form ggml pairs with weights of `type`.
    public init(weight type: GGMLType) {
        switch type {
        case .f16: self = .f16
        case .bf16: self = .bf16
        case .q8_0, .q4_0, .q5_0, .iq4_nl: self = .q8_0
        case .q4_1, .q5_1: self = .q8_1
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_xs: self = .q8_K
        default: self = .f32
        }
    }
}
