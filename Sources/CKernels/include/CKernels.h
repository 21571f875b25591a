// AVX2/FMA/F16C inner loops of InferenceCore's matrix products, for the few loops Swift cannot make fast.
//
// Every function here is compiled for AVX2, FMA and F16C only (function target attributes, no global flags), so
// the library links on any x86-64; callers must check `bg_kernels_available()` first and otherwise use the Swift
// kernels. Each dot product's arithmetic order depends only on the row length, never on how many rows or which
// other rows a call covers, so batching cannot change a sequence's results.
#ifndef BATCHGATE_CKERNELS_H
#define BATCHGATE_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has AVX2, FMA and F16C (the kernels below may be called), otherwise 0.
int bg_kernels_available(void);

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

/// A spin-wait hint to the CPU (`pause` on x86-64), for the compute pool's brief spins between jobs.
static inline void bg_cpu_relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

#endif
