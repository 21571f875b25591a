// Q8_0 weights × Q8_0 activations in ggml's order, in tiles of up to 4 weight rows × 2 activation rows.
//
// Each (weight row, activation row) pair has eight float lanes. Per block, `maddubs` multiplies |w| by a with w's
// sign moved onto it and adds neighbouring products, `madd` with ones adds those pairs, so int32 lane l holds the
// exact sum of products 4l…4l+3; then lane l = fma(d_w * d_a, float(that sum), lane l). At the end the lanes are
// summed as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)). This is what ggml's AVX2 `vec_dot_q8_0_q8_0` and llamafile's
// Q8_0 tiles compute, and it depends only on the pair, never on the tile it lands in. On AVX-512 hosts five or more
// activation rows go to the block GEMM of `block32_gemm.h` instead, which forms the same lanes sixteen weight rows
// at a time: the same bits.
#include "CKernels.h"

#if defined(__x86_64__)
#include "decoded_rows.h"
#include "kernel_support.h"
#include <string.h>

#pragma STDC FP_CONTRACT OFF

enum { weight_block = 34, activation_block = 48 };

#ifndef PREFETCH_DISTANCE
#define PREFETCH_DISTANCE 32768
#endif
#ifndef PANEL_ROWS
#define PANEL_ROWS 16
#endif

/// Block `b` of `rows` × `cols` pairs (rows <= 4, cols <= 2) added into `acc`: weight rows at `w` (`wrb` apart),
/// activation rows at `a` (`arb` apart). The pairs' block scales go through `scales` in memory, so each is
/// broadcast by a load rather than by two shuffles.
KERNEL INLINE void block_step(
    int rows, int cols, const uint8_t *w, size_t wrb, const uint8_t *a, size_t arb, size_t b, __m256 acc[4][2],
    float *scales) {
    const __m256i ones = _mm256_set1_epi16(1);
    uint64_t bits = 0;
    for (int r = 0; r < rows; r++) {
        uint16_t h;
        memcpy(&h, w + r * wrb + b * weight_block, 2);
        bits |= (uint64_t)h << (16 * r);
    }
    __m128 dw = _mm_cvtph_ps(_mm_cvtsi64_si128((long long)bits));
    __m256i aq[2];
    for (int c = 0; c < cols; c++) {
        const uint8_t *block = a + c * arb + b * activation_block;
        _mm_store_ps(scales + 4 * c, _mm_mul_ps(dw, _mm_broadcast_ss((const float *)block)));
        aq[c] = _mm256_loadu_si256((const __m256i *)(block + 4));
    }
    __asm__ volatile("" : : "r"(scales) : "memory");
    for (int r = 0; r < rows; r++) {
        __m256i wq = _mm256_loadu_si256((const __m256i *)(w + r * wrb + b * weight_block + 2));
        __m256i wabs = _mm256_sign_epi8(wq, wq);
        for (int c = 0; c < cols; c++) {
            __m256i sums = _mm256_madd_epi16(_mm256_maddubs_epi16(wabs, _mm256_sign_epi8(aq[c], wq)), ones);
            __m256 scale = _mm256_broadcast_ss(scales + 4 * c + r);
            acc[r][c] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(sums), acc[r][c]);
        }
    }
}

/// `rows` × `cols` pairs (rows <= 4, cols <= 2) over all `blocks`; pair (r, c) goes to `out[c * stride + r]`.
/// Called with constant shapes so every loop unrolls.
///
/// When `ahead` is not null, one cache line from it every `ahead_step` bytes per block is prefetched: the weight
/// rows the first pass over a panel reaches next, so that short rows still stream at memory speed. That loop is a
/// separate copy so the other passes carry no prefetch test.
KERNEL INLINE void tile(
    int rows, int cols, const uint8_t *w, size_t wrb, const uint8_t *a, size_t arb, size_t blocks, float *out,
    size_t stride, const uint8_t *ahead, size_t ahead_step) {
    __m256 acc[4][2];
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) acc[r][c] = _mm256_setzero_ps();
    }
    float scales[8] __attribute__((aligned(32)));
    if (ahead) {
        for (size_t b = 0; b < blocks; b++) {
            for (size_t line = 0; line < ahead_step; line += 64) {
                _mm_prefetch((const char *)ahead + b * ahead_step + line, _MM_HINT_T0);
            }
            block_step(rows, cols, w, wrb, a, arb, b, acc, scales);
        }
    } else {
        for (size_t b = 0; b < blocks; b++) block_step(rows, cols, w, wrb, a, arb, b, acc, scales);
    }
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) out[c * stride + r] = lane_sum(acc[r][c]);
    }
}

/// Weight rows `r0..<r1` against `cols` activation rows at `act`: tiles of four weight rows, then single rows.
/// The first pass over a panel (the only one in a decode step) also prefetches the weights `PREFETCH_DISTANCE`
/// bytes ahead, so that they arrive while this panel is computed.
#define PANEL(COLS)                                                                                                \
    do {                                                                                                           \
        size_t r = r0;                                                                                             \
        for (; r + 4 <= r1; r += 4) {                                                                              \
            const uint8_t *ahead = NULL;                                                                           \
            size_t step = 0;                                                                                       \
            if (i == 0 && (r + 4) * weight_row_bytes + PREFETCH_DISTANCE <= row_end * weight_row_bytes) {    \
                ahead = weights + r * weight_row_bytes + PREFETCH_DISTANCE;                                        \
                step = (4 * weight_row_bytes / blocks + 63) & ~(size_t)63;                                         \
            }                                                                                                      \
            tile(4, COLS, weights + r * weight_row_bytes, weight_row_bytes, act, activation_row_bytes, blocks,     \
                 out + r, output_stride, ahead, step);                                                             \
        }                                                                                                          \
        for (; r < r1; r++)                                                                                        \
            tile(1, COLS, weights + r * weight_row_bytes, weight_row_bytes, act, activation_row_bytes, blocks,     \
                 out + r, output_stride, NULL, 0);                                                                 \
    } while (0)

/// A Q8_0 weight row's blocks as int8 values and scales, for the AVX-512 GEMM (`block32_gemm.h`).
KERNEL static void decode_q8_0(const uint8_t *row, size_t blocks, int8_t *values, void *records) {
    block_record *rec = records;
    for (size_t b = 0; b < blocks; b++) {
        rec[b].d = half_to_float(row + weight_block * b);
        rec[b].m = 0;
        memcpy(values + 32 * b, row + weight_block * b + 2, 32);
    }
}

BLOCK32_GEMM(q8_0_gemm, KIND_Q8_0, decode_q8_0)

KERNEL void bg_q8_0_matmul(
    const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end, const uint8_t *activations,
    size_t activation_row_bytes, size_t activation_count, size_t blocks, float *output, size_t output_stride) {
    if (activation_count >= 5 && row_begin < row_end && bg_kernel_variant() == BG_VARIANT_AVX512) {
        // The same lanes and float steps, sixteen weight rows per vector (see `block32_gemm.h`).
        q8_0_gemm(weights, weight_row_bytes, row_begin, row_end, activations, activation_row_bytes, activation_count,
                  blocks, output, output_stride);
        return;
    }
    // A panel of weight rows stays in cache while every activation row passes over it, two at a time, so the
    // weights stream from memory once per call.
    for (size_t r0 = row_begin; r0 < row_end; r0 += PANEL_ROWS) {
        size_t r1 = r0 + PANEL_ROWS < row_end ? r0 + PANEL_ROWS : row_end;
        size_t i = 0;
        for (; i + 2 <= activation_count; i += 2) {
            const uint8_t *act = activations + i * activation_row_bytes;
            float *out = output + i * output_stride;
            PANEL(2);
        }
        if (i < activation_count) {
            const uint8_t *act = activations + i * activation_row_bytes;
            float *out = output + i * output_stride;
            PANEL(1);
        }
    }
}

KERNEL void bg_quantize_q8_0(const float *input, uint8_t *output, size_t blocks) {
    for (size_t b = 0; b < blocks; b++) {
        uint8_t *block = output + b * activation_block;
        __m256 v[4];
        float max = load_block_amax(input + 32 * b, v);
        float d = _cvtsh_ss(_cvtss_sh(max / 127.0f, _MM_FROUND_TO_NEAREST_INT));
        memcpy(block, &d, 4);
        __m256i q[4];
        round_block(v, max != 0.0f ? 127.0f / max : 0.0f, q);
        store_int8_block(q, block + 4);
    }
}
#else

void bg_q8_0_matmul(
    const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end, const uint8_t *activations,
    size_t activation_row_bytes, size_t activation_count, size_t blocks, float *output, size_t output_stride) {
    (void)weights, (void)weight_row_bytes, (void)row_begin, (void)row_end, (void)activations;
    (void)activation_row_bytes, (void)activation_count, (void)blocks, (void)output, (void)output_stride;
}

void bg_quantize_q8_0(const float *input, uint8_t *output, size_t blocks) {
    (void)input, (void)output, (void)blocks;
}

#endif
