// Q8_0 × Q8_0 block dot products in tiles of up to 8 (weight row, activation row) pairs, one pair per float lane.
//
// Per block and pair: |w| (unsigned) times a with w's sign moved onto it (`maddubs`), pairs of int16 summed to
// int32 (`madd` with ones), then eight pairs' eight partial sums folded into one vector of eight exact block sums
// by a tree of horizontal adds. Each lane then takes `sum += float(qi) * (dw * da)` with no fused steps, so every
// pair rounds exactly as the scalar Swift kernel does, whatever tile it lands in.
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

enum { weight_block = 34, activation_block = 48 };

#ifndef PREFETCH_PANELS
#define PREFETCH_PANELS 8
#endif

#define KERNEL __attribute__((target("avx2,fma,f16c")))
#define INLINE __attribute__((always_inline)) static inline

/// Eight vectors of eight int32 partial sums to one vector of their eight totals (lane p: total of p[p]).
KERNEL INLINE __m256i fold8(const __m256i p[8]) {
    __m256i s01 = _mm256_hadd_epi32(p[0], p[1]);
    __m256i s23 = _mm256_hadd_epi32(p[2], p[3]);
    __m256i s45 = _mm256_hadd_epi32(p[4], p[5]);
    __m256i s67 = _mm256_hadd_epi32(p[6], p[7]);
    __m256i t0 = _mm256_hadd_epi32(s01, s23);
    __m256i t1 = _mm256_hadd_epi32(s45, s67);
    return _mm256_add_epi32(_mm256_permute2x128_si256(t0, t1, 0x20), _mm256_permute2x128_si256(t0, t1, 0x31));
}

/// The F16 scale at the start of a weight block, as a float.
KERNEL INLINE float weight_scale(const uint8_t *block) {
    uint16_t bits;
    memcpy(&bits, block, 2);
    return _cvtsh_ss(bits);
}

/// `rows` × `cols` pairs (rows * cols <= 8): weight rows at `w` (`wrb` apart), activation rows at `a` (`arb`
/// apart); lane r * cols + c is pair (r, c); results go to `out[c * stride + r]`. Called with constant shapes so
/// the loops unroll.
///
/// When `ahead` is not null, `ahead_bytes` bytes from it are prefetched, spread over the blocks: the weight rows
/// the call reaches next, so that short rows (too short for the hardware prefetcher to ramp up) still stream.
KERNEL INLINE void tile(
    int rows, int cols, const uint8_t *w, size_t wrb, const uint8_t *a, size_t arb, size_t blocks, float *out,
    size_t stride, const uint8_t *ahead, size_t ahead_bytes) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc = _mm256_setzero_ps();
    size_t ahead_step = ahead ? (ahead_bytes / blocks + 64) & ~(size_t)63 : 0;
    for (size_t b = 0; b < blocks; b++) {
        if (ahead) {
            for (size_t line = 0; line < ahead_step; line += 64) {
                _mm_prefetch((const char *)ahead + b * ahead_step + line, _MM_HINT_T0);
            }
        }
        __m256i wq[8], wabs[8], aq[8], p[8];
        float dw[8], da[8], lane_dw[8], lane_da[8];
        for (int r = 0; r < rows; r++) {
            const uint8_t *block = w + r * wrb + b * weight_block;
            dw[r] = weight_scale(block);
            wq[r] = _mm256_loadu_si256((const __m256i *)(block + 2));
            wabs[r] = _mm256_sign_epi8(wq[r], wq[r]);
        }
        for (int c = 0; c < cols; c++) {
            const uint8_t *block = a + c * arb + b * activation_block;
            memcpy(&da[c], block, 4);
            aq[c] = _mm256_loadu_si256((const __m256i *)(block + 4));
        }
        for (int q = 0; q < 8; q++) {
            p[q] = _mm256_setzero_si256();
            lane_dw[q] = 0;
            lane_da[q] = 0;
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                __m256i signed_a = _mm256_sign_epi8(aq[c], wq[r]);
                p[r * cols + c] = _mm256_madd_epi16(_mm256_maddubs_epi16(wabs[r], signed_a), ones);
                lane_dw[r * cols + c] = dw[r];
                lane_da[r * cols + c] = da[c];
            }
        }
        __m256 sums = _mm256_cvtepi32_ps(fold8(p));
        __m256 scale = _mm256_mul_ps(_mm256_loadu_ps(lane_dw), _mm256_loadu_ps(lane_da));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(sums, scale));
    }
    float result[8];
    _mm256_storeu_ps(result, acc);
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) out[c * stride + r] = result[r * cols + c];
    }
}

/// Activation rows `a` (`count` of them) against weight rows `row_begin..<row_end`, with `cols` activation rows
/// per tile and as many weight rows as fill eight lanes.
/// The first group also prefetches the weight rows `PREFETCH_PANELS` panels ahead.
#define PANEL(COLS)                                                                                                \
    do {                                                                                                           \
        size_t r = r0;                                                                                             \
        for (; r + 8 / (COLS) <= r1; r += 8 / (COLS)) {                                                            \
            const uint8_t *ahead = NULL;                                                                           \
            size_t ahead_rows = 8 / (COLS);                                                                        \
            if (i == 0 && r + (PREFETCH_PANELS * 8 + ahead_rows) <= row_end)                                       \
                ahead = weights + (r + PREFETCH_PANELS * 8) * weight_row_bytes;                                    \
            tile(8 / (COLS), COLS, weights + r * weight_row_bytes, weight_row_bytes, act, activation_row_bytes,   \
                 blocks, out + r, output_stride, ahead, ahead_rows * weight_row_bytes);                            \
        }                                                                                                          \
        for (; r < r1; r++)                                                                                        \
            tile(1, COLS, weights + r * weight_row_bytes, weight_row_bytes, act, activation_row_bytes, blocks,     \
                 out + r, output_stride, NULL, 0);                                                                 \
    } while (0)

KERNEL void bg_q8_0_matmul(
    const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end, const uint8_t *activations,
    size_t activation_row_bytes, size_t activation_count, size_t blocks, float *output, size_t output_stride) {
    // Panels of 8 weight rows stay in cache while every activation row passes over them, so the weights stream
    // from memory once per call.
    for (size_t r0 = row_begin; r0 < row_end; r0 += 8) {
        size_t r1 = r0 + 8 < row_end ? r0 + 8 : row_end;
        size_t i = 0;
        while (i < activation_count) {
            size_t left = activation_count - i;
            const uint8_t *act = activations + i * activation_row_bytes;
            float *out = output + i * output_stride;
            if (left >= 4) {
                PANEL(4);
                i += 4;
            } else if (left >= 2) {
                PANEL(2);
                i += 2;
            } else {
                PANEL(1);
                i += 1;
            }
        }
    }
}

#else

void bg_q8_0_matmul(
    const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end, const uint8_t *activations,
    size_t activation_row_bytes, size_t activation_count, size_t blocks, float *output, size_t output_stride) {
    (void)weights, (void)weight_row_bytes, (void)row_begin, (void)row_end, (void)activations;
    (void)activation_row_bytes, (void)activation_count, (void)blocks, (void)output, (void)output_stride;
}

#endif
