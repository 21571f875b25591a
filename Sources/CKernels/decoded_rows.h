// The shared driver of the kernels that decode weight rows to int8 before the dot products (Q4_0, Q5_0, Q5_1,
// IQ4_NL against Q8_0/Q8_1 activations; Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS against Q8_K activations).
//
// Each weight row is decoded once into int8 values (what the block stores, offsets and lookup tables applied) and a
// record of scales per block; every activation row then meets the decoded row. The integer products of a pair are
// exact whatever instructions form them, so only the float steps have to follow ggml's AVX2 `vec_dot` order: per
// block, the eight int32 lanes (lane l holding products 4l..4l+3 of every 32 values, times their scales) are fused
// into eight float lanes, summed at the end by `lane_sum`, with each type's minimum terms where ggml adds them.
#ifndef BATCHGATE_DECODED_ROWS_H
#define BATCHGATE_DECODED_ROWS_H

#if defined(__x86_64__)
#include "kernel_support.h"
#include <stdlib.h>
#include <string.h>

/// The weight types of this driver: the float recipe of each (see `pair_tile`).
enum decoded_kind {
    KIND_Q2_K,
    KIND_Q3_K,
    KIND_Q4_K,
    KIND_Q5_K,
    KIND_Q6_K,
    KIND_IQ4_XS,
    KIND_Q4_0,
    KIND_Q5_0,
    KIND_Q5_1,
    KIND_IQ4_NL,
    KIND_Q8_0,  // Q8_0 weights: only through the AVX-512 GEMM (`block32_gemm.h`, called by `bg_q8_0_matmul`)
};

/// Prepared Q8_K activation block: 256 int8 at 0, 16 int16 sums of each 16 at 256, the float scale at 288.
enum { q8k_block = 320, q8k_sums = 256, q8k_scale = 288 };
/// Prepared Q8_0 / Q8_1 activation block: float scale at 0 (Q8_1: float scaled sum at 4), int8 at 4 (Q8_1: 8).
enum { q8_block = 48 };

/// A decoded 256-value super-block's scales: `d`, `dmin`, one int16 scale per 16 values, and the minimums (16 for
/// Q2_K, 8 for Q4_K and Q5_K).
typedef struct {
    float d, dmin;
    int16_t scales[16];
    int16_t mins[16];
} super_record;

/// A decoded 32-value block's scale `d` and (Q5_1) minimum `m`.
typedef struct {
    float d, m;
} block_record;

/// Decodes `blocks` blocks of one weight row into `values` (int8, in element order) and `records`.
typedef void (*row_decoder)(const uint8_t *row, size_t blocks, int8_t *values, void *records);

/// ggml's `kvalues_iq4nl`: the values a 4-bit IQ4_NL / IQ4_XS index selects.
static const int8_t iq4_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

KERNEL INLINE float half_to_float(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

/// The 32 nibbles of 16 bytes at `p` as bytes in element order (low nibbles first).
KERNEL INLINE __m256i nibbles(const uint8_t *p) {
    __m128i packed = _mm_loadu_si128((const __m128i *)p);
    const __m128i low = _mm_set1_epi8(0x0f);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(packed, 4), low), _mm_and_si128(packed, low));
}

KERNEL INLINE int is_super(int kind) { return kind <= KIND_IQ4_XS; }

/// Whether the decoded values of `kind` are never negative, so `maddubs` takes them as they are (no sign moved onto
/// the activations).
KERNEL INLINE int is_unsigned(int kind) {
    return kind == KIND_Q2_K || kind == KIND_Q4_K || kind == KIND_Q5_K || kind == KIND_Q6_K || kind == KIND_Q5_1;
}

/// The scales of 16-value groups `2c` and `2c + 1` spread over the int16 lanes of a 32-value chunk's products.
KERNEL INLINE __m256i scale_pair(const int16_t *scales) {
    int32_t pair;
    memcpy(&pair, scales, 4);
    const __m256i spread = _mm256_setr_epi8(
        0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3);
    return _mm256_shuffle_epi8(_mm256_set1_epi32(pair), spread);
}

KERNEL INLINE int hsum_i32x4(__m128i x) {
    x = _mm_add_epi32(x, _mm_unpackhi_epi64(x, x));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(x);
}

/// The int32 lanes of one super-block (decoded values `w`, record `rec`) against `cols` (1..4) activation blocks at
/// `ab` (`arb` apart), in ggml's AVX2 layout: lane l of `sumi[c]` holds the exact sum, over the eight 32-value chunks,
/// of products 4l..4l+3 times their 16-value group's scale. Shared by `pair_tile` and the tiled order's AVX2 tile.
KERNEL INLINE void super_block_lanes(
    int kind, int cols, const int8_t *w, const super_record *rec, const uint8_t *ab, size_t arb, __m256i sumi[4]) {
    for (int c = 0; c < cols; c++) sumi[c] = _mm256_setzero_si256();
    for (int k = 0; k < 8; k++) {
        __m256i wv = _mm256_load_si256((const __m256i *)(w + 32 * k));
        __m256i wabs = _mm256_sign_epi8(wv, wv);
        __m256i sc = scale_pair(rec->scales + 2 * k);
        for (int c = 0; c < cols; c++) {
            __m256i av = _mm256_loadu_si256((const __m256i *)(ab + c * arb + 32 * k));
            __m256i p16 = is_unsigned(kind) ? _mm256_maddubs_epi16(wv, av)
                                            : _mm256_maddubs_epi16(wabs, _mm256_sign_epi8(av, wv));
            sumi[c] = _mm256_add_epi32(sumi[c], _mm256_madd_epi16(p16, sc));
        }
    }
}

/// One decoded weight row against `cols` (1..4) activation rows at `a` (`arb` apart); pair c goes to
/// `out[c * stride]`. Called with constant `kind` and `cols`, so every branch folds away.
KERNEL INLINE void pair_tile(
    int kind, int cols, const int8_t *values, const uint8_t *records, const uint8_t *a, size_t arb, size_t blocks,
    float *out, size_t stride) {
    __m256 acc[4], acc2[4];
    __m128 accm[4];
    float summ[4];
    int tail[4];
    float tail_d[4];
    for (int c = 0; c < cols; c++) {
        acc[c] = acc2[c] = _mm256_setzero_ps();
        accm[c] = _mm_setzero_ps();
        summ[c] = 0;
        tail[c] = 0;
        tail_d[c] = 0;
    }
    if (is_super(kind)) {
        for (size_t b = 0; b < blocks; b++) {
            const super_record *rec = (const super_record *)(records + b * sizeof(super_record));
            const int8_t *w = values + 256 * b;
            __m256i sumi[4];
            super_block_lanes(kind, cols, w, rec, a + b * q8k_block, arb, sumi);
            for (int c = 0; c < cols; c++) {
                const uint8_t *ab = a + c * arb + b * q8k_block;
                float ad;
                memcpy(&ad, ab + q8k_scale, 4);
                if (kind == KIND_Q6_K) {
                    // ggml takes Q6_K's offset of 32 off per group: lane k loses 32 (s_2k sum_2k + s_2k+1 sum_2k+1).
                    __m256i prod = _mm256_madd_epi16(
                        _mm256_loadu_si256((const __m256i *)rec->scales), _mm256_loadu_si256((const __m256i *)(ab + q8k_sums)));
                    sumi[c] = _mm256_sub_epi32(sumi[c], _mm256_slli_epi32(prod, 5));
                }
                if (kind == KIND_Q2_K) {
                    __m256i prod = _mm256_madd_epi16(
                        _mm256_loadu_si256((const __m256i *)rec->mins), _mm256_loadu_si256((const __m256i *)(ab + q8k_sums)));
                    acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(-ad * rec->dmin), _mm256_cvtepi32_ps(prod), acc[c]);
                }
                acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(ad * rec->d), _mm256_cvtepi32_ps(sumi[c]), acc[c]);
                if (kind == KIND_Q4_K || kind == KIND_Q5_K) {
                    __m128i q8s = _mm_hadd_epi16(
                        _mm_loadu_si128((const __m128i *)(ab + q8k_sums)), _mm_loadu_si128((const __m128i *)(ab + q8k_sums + 16)));
                    __m128i prod = _mm_madd_epi16(_mm_loadu_si128((const __m128i *)rec->mins), q8s);
                    if (kind == KIND_Q4_K) {
                        accm[c] = _mm_fmadd_ps(_mm_set1_ps(-ad * rec->dmin), _mm_cvtepi32_ps(prod), accm[c]);
                    } else {
                        float total = (float)hsum_i32x4(prod);
                        summ[c] = _mm_cvtss_f32(
                            _mm_fmadd_ss(_mm_set_ss(-ad * rec->dmin), _mm_set_ss(total), _mm_set_ss(summ[c])));
                    }
                }
            }
        }
        for (int c = 0; c < cols; c++) {
            float sum = lane_sum(acc[c]);
            if (kind == KIND_Q4_K) {
                __m128 m = _mm_add_ps(accm[c], _mm_movehl_ps(accm[c], accm[c]));
                m = _mm_add_ss(m, _mm_movehdup_ps(m));
                sum += _mm_cvtss_f32(m);
            } else if (kind == KIND_Q5_K) {
                sum += summ[c];
            }
            out[c * stride] = sum;
        }
        return;
    }
    const __m256i ones = _mm256_set1_epi16(1);
    const int qoff = kind == KIND_Q5_1 ? 8 : 4;
    size_t paired = blocks & ~(size_t)1;
    // The products d_w * d_a of eight blocks at a time, formed by one vector multiply and read back by broadcasts.
    float scale[4][8] __attribute__((aligned(32)));
    for (size_t b = 0; b < blocks; b++) {
        const block_record *rec = (const block_record *)(records + b * sizeof(block_record));
        if ((b & 7) == 0) {
            if (b + 8 <= blocks) {
                __m256 dw = _mm256_i32gather_ps(&rec->d, _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14), 4);
                const __m256i step = _mm256_setr_epi32(0, 12, 24, 36, 48, 60, 72, 84);
                for (int c = 0; c < cols; c++) {
                    __m256 da = _mm256_i32gather_ps((const float *)(a + c * arb + b * q8_block), step, 4);
                    _mm256_store_ps(scale[c], _mm256_mul_ps(dw, da));
                }
            } else {
                for (int c = 0; c < cols; c++) {
                    for (size_t u = 0; u < blocks - b; u++) {
                        float ad;
                        memcpy(&ad, a + c * arb + (b + u) * q8_block, 4);
                        scale[c][u] = rec[u].d * ad;
                    }
                }
            }
        }
        __m256i wv = _mm256_load_si256((const __m256i *)(values + 32 * b));
        __m256i wabs = _mm256_sign_epi8(wv, wv);
        for (int c = 0; c < cols; c++) {
            const uint8_t *ab = a + c * arb + b * q8_block;
            __m256i av = _mm256_loadu_si256((const __m256i *)(ab + qoff));
            __m256i p16 = is_unsigned(kind) ? _mm256_maddubs_epi16(wv, av)
                                            : _mm256_maddubs_epi16(wabs, _mm256_sign_epi8(av, wv));
            __m256i p = _mm256_madd_epi16(p16, ones);
            __m256 f = _mm256_cvtepi32_ps(p);
            if (kind == KIND_Q5_1) {
                float as;
                memcpy(&as, ab + 4, 4);
                summ[c] = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(rec->m), _mm_set_ss(as), _mm_set_ss(summ[c])));
                acc[c] = _mm256_fmadd_ps(f, _mm256_broadcast_ss(&scale[c][b & 7]), acc[c]);
            } else if (kind == KIND_IQ4_NL) {
                if (b < paired) {
                    if (b & 1) {
                        acc2[c] = _mm256_fmadd_ps(_mm256_broadcast_ss(&scale[c][b & 7]), f, acc2[c]);
                    } else {
                        acc[c] = _mm256_fmadd_ps(_mm256_broadcast_ss(&scale[c][b & 7]), f, acc[c]);
                    }
                } else {
                    tail[c] = hsum_i32x4(_mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1)));
                    tail_d[c] = scale[c][b & 7];
                }
            } else {
                acc[c] = _mm256_fmadd_ps(_mm256_broadcast_ss(&scale[c][b & 7]), f, acc[c]);
            }
        }
    }
    for (int c = 0; c < cols; c++) {
        float sum;
        if (kind == KIND_IQ4_NL) {
            sum = lane_sum(_mm256_add_ps(acc[c], acc2[c]));
            if (paired < blocks) {
                sum = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(tail_d[c]), _mm_set_ss((float)tail[c]), _mm_set_ss(sum)));
            }
        } else {
            sum = lane_sum(acc[c]);
            if (kind == KIND_Q5_1) sum += summ[c];
        }
        out[c * stride] = sum;
    }
}

#ifndef DECODED_PANEL_ROWS
#define DECODED_PANEL_ROWS 8
#endif

#include "decoded_rows_wide.h"
#include "tiled_order.h"
#include "decode_gemv.h"
#include "tiled_gemm.h"
#include "block32_gemm.h"

/// A kernel with the `BG_DECODED_KERNEL` signature (a kind's AVX-512 GEMM, `block32_gemm.h`).
typedef void (*decoded_kernel_fn)(
    const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end, const uint8_t *activations,
    size_t activation_row_bytes, size_t activation_count, size_t blocks, float *output, size_t output_stride);

/// `fused`: whether `kind`'s own block layout and value range are what `weights` hold, so the fused decode kernels
/// and the block GEMM may read them (0 when `decode` reads another type's blocks into `kind`'s recipe, as the
/// llamafile-order IQ4_NL kernel does: its values span -127…113, which the Q5_0 GEMM's unsigned bias does not).
/// Weight rows `row_begin..<row_end` against every activation row. With more than four activation rows, panels of
/// `DECODED_PANEL_ROWS` weight rows are decoded at once, so each group of four activation rows, loaded once, meets
/// them all (two weight rows at a time through `wide`, `wide_cols` activation rows at a time, when given and
/// `bg_kernel_variant()` is AVX-512, or all of them through `gemm` when that is given too); otherwise one row at a
/// time, which stays in L1.
KERNEL INLINE void decoded_matmul(
    int kind, row_decoder decode, int fused, wide_tile_fn wide, decoded_kernel_fn gemm, const uint8_t *weights,
    size_t weight_row_bytes, size_t row_begin, size_t row_end, const uint8_t *activations,
    size_t activation_row_bytes, size_t activation_count, size_t blocks, float *output, size_t output_stride) {
    if (row_begin >= row_end || activation_count == 0) return;
    if (fused && activation_count <= 4 && bg_kernel_variant() == BG_VARIANT_AVX512) {
        // Decode on AVX-512: the fused kernels of `decode_gemv.h`, bit for bit this driver's AVX2 results.
        decode_gemv(kind, weights, weight_row_bytes, row_begin, row_end, activations, activation_row_bytes,
                    activation_count, blocks, output, output_stride);
        return;
    }
    size_t n = blocks * (is_super(kind) ? 256 : 32);
    size_t record_bytes = blocks * (is_super(kind) ? sizeof(super_record) : sizeof(block_record));
    size_t panel = activation_count > 4 ? DECODED_PANEL_ROWS : 1;
    int use_wide = wide && panel > 1 && bg_kernel_variant() == BG_VARIANT_AVX512;
    if (use_wide && gemm) {
        gemm(weights, weight_row_bytes, row_begin, row_end, activations, activation_row_bytes, activation_count,
             blocks, output, output_stride);
        return;
    }
    size_t step = use_wide ? wide_cols(kind) : 4;
    size_t row_stride = (n + record_bytes + 63) & ~(size_t)63;
    uint8_t *buffer = aligned_alloc(64, panel * row_stride);
    if (!buffer) abort();
    for (size_t p0 = row_begin; p0 < row_end; p0 += panel) {
        size_t p1 = p0 + panel < row_end ? p0 + panel : row_end;
        for (size_t r = p0; r < p1; r++) {
            uint8_t *slot = buffer + (r - p0) * row_stride;
            if (r + 1 < row_end) {
                const char *next = (const char *)(weights + (r + 1) * weight_row_bytes);
                for (size_t line = 0; line < weight_row_bytes; line += 64) _mm_prefetch(next + line, _MM_HINT_T0);
            }
            decode(weights + r * weight_row_bytes, blocks, (int8_t *)slot, slot + n);
        }
        for (size_t i = 0; i < activation_count; i += step) {
            size_t take = activation_count - i < step ? activation_count - i : step;
            const uint8_t *act = activations + i * activation_row_bytes;
            size_t r = p0;
            if (use_wide) {
                for (; r + 1 < p1; r += 2) {
                    const uint8_t *s0 = buffer + (r - p0) * row_stride, *s1 = s0 + row_stride;
                    wide((const int8_t *)s0, s0 + n, (const int8_t *)s1, s1 + n, act, activation_row_bytes, take,
                         blocks, output + i * output_stride + r, output_stride);
                }
            }
            for (; r < p1; r++) {
                const uint8_t *slot = buffer + (r - p0) * row_stride;
                const int8_t *v = (const int8_t *)slot;
                for (size_t j = 0; j < take; j += 4) {
                    size_t left = take - j;
                    const uint8_t *aj = act + j * activation_row_bytes;
                    float *out = output + (i + j) * output_stride + r;
                    if (left >= 4) {
                        pair_tile(kind, 4, v, slot + n, aj, activation_row_bytes, blocks, out, output_stride);
                    } else if (left == 3) {
                        pair_tile(kind, 3, v, slot + n, aj, activation_row_bytes, blocks, out, output_stride);
                    } else if (left == 2) {
                        pair_tile(kind, 2, v, slot + n, aj, activation_row_bytes, blocks, out, output_stride);
                    } else {
                        pair_tile(kind, 1, v, slot + n, aj, activation_row_bytes, blocks, out, output_stride);
                    }
                }
            }
        }
    }
    free(buffer);
}

/// Defines the exported kernel `name` for `kind` with row decoder `decode` (and its wide tile, `name_wide`).
#define DECODED_KERNEL(name, kind, decode) DECODED_KERNEL_READING(name, kind, decode, 1)

/// `DECODED_KERNEL` for a `decode` that reads blocks of `kind`'s own type (`fused` 1) or of another type into
/// `kind`'s recipe (`fused` 0; see `decoded_matmul`).
#define DECODED_KERNEL_READING(name, kind, decode, fused)                                                           \
    WIDE_TILE(name##_wide, kind)                                                                                   \
    BLOCK32_GEMM(name##_gemm, kind, decode)                                                                        \
    KERNEL void name(                                                                                              \
        const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end,                         \
        const uint8_t *activations, size_t activation_row_bytes, size_t activation_count, size_t blocks,           \
        float *output, size_t output_stride) {                                                                     \
        decoded_matmul(                                                                                            \
            kind, decode, fused, wide_supported(kind) ? name##_wide : NULL,                                        \
            fused && block32_supported(kind) ? name##_gemm : NULL,                                                 \
            weights, weight_row_bytes, row_begin, row_end,                                                         \
            activations, activation_row_bytes, activation_count, blocks, output, output_stride);                   \
    }

/// Defines `name_tiled_reference`, the product of kernel `name`'s kind in the tiled order by
/// `tiled_pair_reference` (for tests), for a super-block `kind` with row decoder `decode`.
#define TILED_REFERENCE(name, kind, decode)                                                                        \
    KERNEL void name##_tiled_reference(                                                                            \
        const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end,                         \
        const uint8_t *activations, size_t activation_row_bytes, size_t activation_count, size_t blocks,           \
        float *output, size_t output_stride) {                                                                     \
        tiled_reference_matmul(                                                                                    \
            kind, decode, weights, weight_row_bytes, row_begin, row_end, activations, activation_row_bytes,        \
            activation_count, blocks, output, output_stride);                                                      \
    }
#endif

/// Defines the non-x86 stub of kernel `name` (never called: `bg_kernels_available()` is 0 there).
#define DECODED_STUB(name)                                                                                         \
    void name(                                                                                                     \
        const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end,                         \
        const uint8_t *activations, size_t activation_row_bytes, size_t activation_count, size_t blocks,           \
        float *output, size_t output_stride) {                                                                     \
        (void)weights, (void)weight_row_bytes, (void)row_begin, (void)row_end, (void)activations;                  \
        (void)activation_row_bytes, (void)activation_count, (void)blocks, (void)output, (void)output_stride;       \
    }

#endif
