// AVX2/FMA/F16C inner loops of InferenceCore's matrix products, for the few loops Swift cannot make fast.
//
// Every function here is compiled for AVX2, FMA and F16C (function target attributes, no global flags), so the
// library links on any x86-64; callers must check `bg_kernels_available()` first and otherwise use the Swift
// kernels. The decoded-row kernels and Q8_0 also hold AVX-512 (VNNI) variants (fused decode kernels for 1..4
// activation rows, tiles and GEMMs for more), and the tiled-order kernels an AVX-512 VNNI GEMM, run when
// `bg_kernel_variant()` says so, with results bit-identical to their AVX2 variants. Each dot product's arithmetic
// order depends only on the kernel and the row length, never on how many rows or which other rows a call covers;
// the engine picks the kernel by the row's own prompt chunk (Docs/numerics.md), so batching cannot change a
// sequence's results.
#ifndef BATCHGATE_CKERNELS_H
#define BATCHGATE_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has AVX2, FMA and F16C (the kernels below may be called), otherwise 0.
int bg_kernels_available(void);

/// The kernel variants: AVX2 only, or AVX-512 (F, BW, VL, DQ, VNNI) where a kernel has a wider tile.
enum { BG_VARIANT_AVX2 = 0, BG_VARIANT_AVX512 = 1 };

/// 1 when this CPU could run the AVX-512 variants (AVX2, FMA, F16C and AVX-512 F, BW, VL, DQ, VNNI), whatever the
/// variant in force, otherwise 0.
int bg_avx512_available(void);

/// The variant the kernels run: at first use AVX-512 when this CPU has AVX-512 F, BW, VL, DQ and VNNI and the
/// environment does not set `BATCHGATE_KERNELS=avx2`, otherwise AVX2. Both give bit-identical results.
int bg_kernel_variant(void);

/// Makes the kernels run `variant` (one of `BG_VARIANT_*`) from now on, if this CPU can; returns the variant now in
/// force (for tests comparing the variants on one host).
int bg_select_kernel_variant(int variant);

/// Q8_0 weights times prepared Q8_0 activations, for weight rows `row_begin..<row_end`, in ggml's order: for each
/// (weight row r, activation row i) pair, eight float lanes start at zero; for each block b, lane l becomes
/// `fma(d_w * d_a, float(exact int sum of products 4l..4l+3), lane l)`; `output[i * output_stride + r]` is then
/// `((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))`.
///
/// Weight row `r` starts at `weights + r * weight_row_bytes` and holds `blocks` 34-byte blocks (F16 scale, 32 int8).
/// Activation row `i` starts at `activations + i * activation_row_bytes` and holds `blocks` 48-byte blocks (the
/// scale as a float, 32 int8, padding), as `bg_quantize_q8_0` writes them.
void bg_q8_0_matmul(
    const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end, const uint8_t *activations,
    size_t activation_row_bytes, size_t activation_count, size_t blocks, float *output, size_t output_stride);

/// Quantizes `blocks` blocks of 32 floats at `input` into 48-byte activation blocks at `output` as ggml's x86
/// `quantize_row_q8_0` does: `d = amax / 127` rounded to F16 (stored widened, as a float), then the 32 values
/// `x * (127 / amax)` rounded to the nearest integer, ties to even (all zero when `amax` is zero).
void bg_quantize_q8_0(const float *input, uint8_t *output, size_t blocks);

/// Q4_1 weights times prepared Q8_1 activations, for weight rows `row_begin..<row_end`, in ggml's AVX2 order
/// (`ggml_vec_dot_q4_1_q8_1`): per (weight row r, activation row i) pair, eight float lanes and one float `m` start
/// at zero; for each block b, lane l becomes `fma(d_w * d_a, float(exact int sum of products 4l..4l+3), lane l)` and
/// `m = fma(m_w, s_a, m)`; `output[i * output_stride + r]` is `((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)) + m`.
///
/// Weight row `r` holds `blocks` 20-byte blocks (F16 scale, F16 minimum, 16 bytes of nibbles: low ones elements
/// 0..15, high ones 16..31). Activation row `i` holds `blocks` 48-byte blocks as `bg_quantize_q8_1` writes them.
void bg_q4_1_matmul(
    const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end, const uint8_t *activations,
    size_t activation_row_bytes, size_t activation_count, size_t blocks, float *output, size_t output_stride);

/// Quantizes `blocks` blocks of 32 floats into 48-byte Q8_1 activation blocks as ggml's x86 `quantize_row_q8_1`
/// does: the scale `d = amax / 127` rounded to F16 (stored widened, as a float), then `s = d * (sum of the 32
/// quantized values)` rounded to F16 (stored widened), then the 32 values `x * (127 / amax)` rounded to the nearest
/// integer, ties to even.
void bg_quantize_q8_1(const float *input, uint8_t *output, size_t blocks);

/// The signature shared by the decoded-row kernels below: weight rows `row_begin..<row_end` (row r at
/// `weights + r * weight_row_bytes`, `blocks` blocks of the type) times `activation_count` prepared activation rows
/// (`activation_row_bytes` apart), `output[i * output_stride + r]` for weight row r and activation row i.
///
/// Each decodes a weight row once to int8 values and block scales and meets every activation row with it; each pair's
/// result is bit for bit ggml's AVX2 `ggml_vec_dot_<type>_<activation type>`: the exact integer sums of products
/// `4l..4l+3` of every 32 values (times their sub-block scales) go to int32 lane l, fused per block into eight float
/// lanes with the block's scale product, summed at the end as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)), plus the type's
/// minimum terms where ggml adds them. Q4_0, Q5_0, IQ4_NL take 48-byte Q8_0 blocks (`bg_quantize_q8_0`), Q5_1
/// 48-byte Q8_1 blocks (`bg_quantize_q8_1`), the K-quants and IQ4_XS 320-byte Q8_K blocks (`bg_quantize_q8_k`).
#define BG_DECODED_KERNEL(name)                                                                                    \
    void name(                                                                                                     \
        const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end,                         \
        const uint8_t *activations, size_t activation_row_bytes, size_t activation_count, size_t blocks,           \
        float *output, size_t output_stride)

/// Q4_0 weights (18-byte blocks: F16 scale, nibbles offset by 8) × Q8_0 activations (`ggml_vec_dot_q4_0_q8_0`).
BG_DECODED_KERNEL(bg_q4_0_matmul);
/// Q5_0 weights (22-byte blocks: F16 scale, 32 fifth bits, nibbles; offset 16) × Q8_0 activations.
BG_DECODED_KERNEL(bg_q5_0_matmul);
/// Q5_1 weights (24-byte blocks: F16 scale and minimum, fifth bits, nibbles) × Q8_1 activations; the minimum times
/// the activation block's scaled sum is fused into one float beside the lanes, added at the end.
BG_DECODED_KERNEL(bg_q5_1_matmul);
/// IQ4_NL weights (18-byte blocks: F16 scale, indices into `kvalues_iq4nl`) × Q8_0 activations: even and odd blocks
/// in two sets of lanes, added before the lane sum; an odd last block's exact integer sum fused in after it.
BG_DECODED_KERNEL(bg_iq4_nl_matmul);
/// IQ4_NL weights × Q8_0 activations in llama.cpp's llamafile order (`tinyBLAS_Q0_AVX`, what its prompt chunks of 2
/// tokens or more take): one set of eight lanes, `fma(d_w * d_a, float(lane), lane)` per block, then the lane sum.
BG_DECODED_KERNEL(bg_iq4_nl_matmul_llamafile);
/// Q2_K weights (84-byte blocks) × Q8_K activations: per block the minimums' products with the activation sums of 16
/// (int32 lane k: groups 2k and 2k+1) are fused into the lanes with `-d_a * dmin` before the values with `d_a * d`.
BG_DECODED_KERNEL(bg_q2_k_matmul);
/// Q3_K weights (110-byte blocks) × Q8_K activations.
BG_DECODED_KERNEL(bg_q3_k_matmul);
/// Q4_K weights (144-byte blocks) × Q8_K activations; the minimums go to four float lanes (lane k: groups 4k..4k+3 of
/// activation sums), each fused with `-d_a * dmin` per block and summed ((m0+m2)+(m1+m3)) after the lane sum.
BG_DECODED_KERNEL(bg_q4_k_matmul);
/// Q5_K weights (176-byte blocks) × Q8_K activations; the minimums' exact integer total per block is fused with
/// `-d_a * dmin` into one float, added after the lane sum.
BG_DECODED_KERNEL(bg_q5_k_matmul);
/// Q6_K weights (210-byte blocks) × Q8_K activations.
BG_DECODED_KERNEL(bg_q6_k_matmul);
/// IQ4_XS weights (136-byte blocks: F16 scale, 6-bit scales per 32, `kvalues_iq4nl` indices) × Q8_K activations.
BG_DECODED_KERNEL(bg_iq4_xs_matmul);

/// The super-block kinds in llama.cpp's tiled order (`tiled_order.h`), for batches of activation rows (prompt
/// chunks): per (weight row, activation row) pair and 256-value block, the exact integer scaled sum S (Q6_K's offset
/// taken off) and the minimums' sum M (Q2_K, Q4_K, Q5_K); `res = d * float(S)`, `res = fma(-dmin, float(M), res)`,
/// `r = fma(res, d_a, r)` in block order from `r = 0`. An AVX-512 VNNI GEMM when `bg_kernel_variant()` is AVX-512,
/// AVX2 tiles otherwise, bit-identical to each other and to the `_tiled_reference` kernels for any activation count.
BG_DECODED_KERNEL(bg_q2_k_matmul_tiled);
/// Q3_K in the tiled order.
BG_DECODED_KERNEL(bg_q3_k_matmul_tiled);
/// Q4_K in the tiled order.
BG_DECODED_KERNEL(bg_q4_k_matmul_tiled);
/// Q5_K in the tiled order.
BG_DECODED_KERNEL(bg_q5_k_matmul_tiled);
/// Q6_K in the tiled order.
BG_DECODED_KERNEL(bg_q6_k_matmul_tiled);
/// IQ4_XS in the tiled order.
BG_DECODED_KERNEL(bg_iq4_xs_matmul_tiled);

/// The tiled-order kernels' AVX2 variant (any x86-64 host with the kernels), for tests and measurements.
BG_DECODED_KERNEL(bg_q2_k_matmul_tiled_avx2);
/// Q3_K, AVX2 variant.
BG_DECODED_KERNEL(bg_q3_k_matmul_tiled_avx2);
/// Q4_K, AVX2 variant.
BG_DECODED_KERNEL(bg_q4_k_matmul_tiled_avx2);
/// Q5_K, AVX2 variant.
BG_DECODED_KERNEL(bg_q5_k_matmul_tiled_avx2);
/// Q6_K, AVX2 variant.
BG_DECODED_KERNEL(bg_q6_k_matmul_tiled_avx2);
/// IQ4_XS, AVX2 variant.
BG_DECODED_KERNEL(bg_iq4_xs_matmul_tiled_avx2);
/// The tiled-order kernels' AVX-512 VNNI variant: only where `bg_select_kernel_variant(BG_VARIANT_AVX512)` would
/// succeed (the CPU has AVX-512 F, BW, VL, DQ and VNNI), for tests and measurements.
BG_DECODED_KERNEL(bg_q2_k_matmul_tiled_avx512);
/// Q3_K, AVX-512 variant.
BG_DECODED_KERNEL(bg_q3_k_matmul_tiled_avx512);
/// Q4_K, AVX-512 variant.
BG_DECODED_KERNEL(bg_q4_k_matmul_tiled_avx512);
/// Q5_K, AVX-512 variant.
BG_DECODED_KERNEL(bg_q5_k_matmul_tiled_avx512);
/// Q6_K, AVX-512 variant.
BG_DECODED_KERNEL(bg_q6_k_matmul_tiled_avx512);
/// IQ4_XS, AVX-512 variant.
BG_DECODED_KERNEL(bg_iq4_xs_matmul_tiled_avx512);

/// The super-block kernels above in llama.cpp's tiled order (`tiled_order.h`: what llama.cpp uses for batches of at
/// least 8 activation rows, a prompt chunk), computed one scalar pair at a time: the references of the tests.
BG_DECODED_KERNEL(bg_q2_k_matmul_tiled_reference);
/// Q3_K in the tiled order (reference).
BG_DECODED_KERNEL(bg_q3_k_matmul_tiled_reference);
/// Q4_K in the tiled order (reference).
BG_DECODED_KERNEL(bg_q4_k_matmul_tiled_reference);
/// Q5_K in the tiled order (reference).
BG_DECODED_KERNEL(bg_q5_k_matmul_tiled_reference);
/// Q6_K in the tiled order (reference).
BG_DECODED_KERNEL(bg_q6_k_matmul_tiled_reference);
/// IQ4_XS in the tiled order (reference).
BG_DECODED_KERNEL(bg_iq4_xs_matmul_tiled_reference);

/// Quantizes `blocks` blocks of 256 floats into 320-byte Q8_K activation blocks as ggml's `quantize_row_q8_K_ref`
/// does (what x86 uses): `max` is the first value of largest magnitude, `iscale = -127 / max`, the 256 int8
/// `min(127, nearest_int(iscale * x))` at offset 0, the 16 int16 sums of each 16 at 256, the float `d = 1 / iscale` at
/// 288; an all-zero block is all zero bytes.
void bg_quantize_q8_k(const float *input, uint8_t *output, size_t blocks);

/// F16 weights times F32 activations that already hold F16-rounded values, for weight rows `row_begin..<row_end`:
/// `output[i * output_stride + r] = dot(weight row r, activation row i)` over `columns` elements.
///
/// Weight row `r` is `columns` halves at `weights + r * columns`; activation row `i` is `columns` floats at
/// `activations + i * columns`. Each pair's products accumulate with FMA into one vector of eight lanes, eight
/// columns at a time, summed at the end as `((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))` (llamafile's F16
/// order); a tail of under eight columns is added in double.
void bg_f16_matmul(
    const uint16_t *weights, size_t row_begin, size_t row_end, const float *activations, size_t activation_count,
    size_t columns, float *output, size_t output_stride);

/// BF16 weights times BF16 activations, for weight rows `row_begin..<row_end`, in the order of ggml's AVX2
/// `ggml_vec_dot_bf16` as GCC compiles it: per pair four vectors of eight float lanes, vector j taking a fused product
/// of elements `32s + 8j ..< 32s + 8j + 8` step after step; then (v0 + v2) + (v1 + v3) summed as
/// ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)) into a double, to which a tail of under 32 elements adds each
/// float product; `output[i * output_stride + r]` is that double rounded to float.
///
/// Weight row `r` is `columns` BF16 values at `weights + r * columns`; activation row `i` is `columns` BF16 values at
/// `activations + i * columns`.
void bg_bf16_matmul(
    const uint16_t *weights, size_t row_begin, size_t row_end, const uint16_t *activations, size_t activation_count,
    size_t columns, float *output, size_t output_stride);

/// Attention scores of `query_count` queries (F16-rounded floats, `columns` apart) against `count` F16 keys
/// `key_stride` halves apart: `scores[q * score_stride + t] = dot(key t, query q) * scale`. With `llamafile` set (and
/// `columns` a multiple of 8) each dot product is in llamafile's order (one vector of eight lanes, eight columns per
/// fused multiply-add, summed by ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7))), which llama.cpp uses when a pass has more
/// than one query token; otherwise in ggml's `vec_dot_f16` order (four vectors of eight lanes over 32-element steps,
/// reduced (0+2)+(1+3), halves, two horizontal adds; a tail of under 32 in double). Either way the same however many
/// queries share the call.
void bg_f16_scores(
    const uint16_t *keys, size_t key_stride, size_t count, const float *queries, size_t query_count, size_t columns,
    float scale, float *scores, size_t score_stride, int llamafile);

/// Adds the products of `count` tokens (tokens `first..<first + count` of the sequence, their F16 value rows
/// `value_stride` halves apart) into the lanes of `query_count` attention outputs of `columns` elements: query q has
/// 32 rows of `columns` floats at `lanes + q * 32 * columns` (row s holds lane s of every output element), all zero
/// at the start. Token t's product `v_t[i] * weights[q * weight_stride + t - first]` is fused into lane t % 8 with
/// `llamafile` set (llamafile's tiles), else into lane t % 32 (ggml's `vec_dot_f16`). `bg_f16_lanes_reduce` then
/// gives the outputs.
void bg_f16_weighted_lanes(
    const uint16_t *values, size_t value_stride, size_t first, size_t count, const float *weights,
    size_t weight_stride, size_t query_count, size_t columns, int llamafile, float *lanes);

/// The outputs of `bg_f16_weighted_lanes`, `columns` per query at `output + q * columns`: with `llamafile`, lanes
/// 0..<8 summed as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)); otherwise the four vectors of 8 lanes reduced as
/// `vec_dot_f16` reduces them: (0+2)+(1+3), halves, two horizontal adds, that is ((l0+l4)+(l1+l5)) + ((l2+l6)+(l3+l7)).
void bg_f16_lanes_reduce(const float *lanes, size_t query_count, size_t columns, int llamafile, float *output);

/// `output[i] = input[i]` rounded to the nearest IEEE half (ties to even) and widened back, for `count` floats.
void bg_round_through_f16(const float *input, float *output, size_t count);

/// `gate[i] = silu(gate[i]) * up[i]` for `count` floats, silu(g) = g / (1 + e^-g), with ggml's eight-lane exponential
/// (`ggml_v_expf`, within 1.5 ulp), as ggml's AVX2 `ggml_vec_swiglu_f32` computes it; every element's result is the
/// same wherever it falls in the range.
void bg_silu_mul(float *gate, const float *up, size_t count);

/// `values[i] = e^(values[i] - maximum)` for `count` floats, returning their sum as ggml's AVX2
/// `ggml_vec_soft_max_f32` forms it: each eight in float (`((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))`, a
/// tail padded with zeros), added to a double sum eight after eight.
double bg_softmax_exp(float *values, size_t count, float maximum);

/// The sum of e^(values[i] - maximum) over `count` floats, each value added to double accumulators by itself (for
/// log-probabilities, where no llama.cpp order is to be matched).
double bg_sum_exp(const float *values, size_t count, float maximum);

/// One pass over `count` logits: returns 1 when all are finite, 0 otherwise; the largest value that is not NaN
/// (infinities compare as usual) goes to `maximum` and the index of its first occurrence to `first_maximum` (0
/// when no value exceeds -infinity).
int bg_scan_logits(const float *values, size_t count, float *maximum, size_t *first_maximum);

/// Reads all `bytes` of `buffer` once with wide loads and returns a checksum of them (so that no load is left out):
/// the measure of the host's read bandwidth.
uint64_t bg_read_buffer(const void *buffer, size_t bytes);

/// A spin-wait hint to the CPU (`pause` on x86-64), for the compute pool's brief spins between jobs.
static inline void bg_cpu_relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

#endif
