// Attention's probability-weighted sum of F16 values for the query heads that share a key-value head (the scores
// are in f16_matmul.c, since they are its dot products).
//
// llama.cpp computes each output element as a dot product over the tokens of one value column (its cache holds V
// transposed, its view padded to a multiple of 32 cells whose probabilities are 0) with the F16-rounded
// probabilities, in one of two orders: llamafile's tiles when the pass has more than one query token (one vector of
// eight lanes, token t in lane t % 8, summed by `lane_sum`), else ggml's `vec_dot_f16` (four vectors, token t in lane
// t % 32, reduced (0+2)+(1+3), then halves and two horizontal adds; the padding leaves no remainder). Both are kept
// here as 32 float lanes per output, filled block by block of the cache as the tokens come, and reduced at the end.
#include "CKernels.h"

#if defined(__x86_64__)
#include "kernel_support.h"

#pragma STDC FP_CONTRACT OFF

/// The 8 x 8 floats in `r` transposed in place: afterwards r[k] holds element k of every input row.
KERNEL INLINE void transpose8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

KERNEL void bg_f16_weighted_lanes(
    const uint16_t *values, size_t value_stride, size_t first, size_t count, const float *weights,
    size_t weight_stride, size_t query_count, size_t columns, int llamafile, float *lanes) {
    size_t period = llamafile ? 8 : 32;
    size_t j = 0;
    // Eight tokens at a time where they share one step of lanes: each value column becomes a vector over the eight
    // tokens, and one fused multiply-add per column and query adds it into the lanes.
    while (j < count) {
        size_t t = first + j;
        if (t % 8 == 0 && j + 8 <= count) {
            size_t base = t % period;
            size_t i = 0;
            for (; i + 8 <= columns; i += 8) {
                __m256 column[8];
                for (int k = 0; k < 8; k++) {
                    column[k] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(values + (j + k) * value_stride + i)));
                }
                transpose8(column);
                for (size_t q = 0; q < query_count; q++) {
                    __m256 p = _mm256_loadu_ps(weights + q * weight_stride + j);
                    float *lane = lanes + (q * columns + i) * 32 + base;
                    for (int k = 0; k < 8; k++) {
                        _mm256_storeu_ps(lane + k * 32, _mm256_fmadd_ps(column[k], p, _mm256_loadu_ps(lane + k * 32)));
                    }
                }
            }
            for (; i < columns; i++) {
                for (size_t q = 0; q < query_count; q++) {
                    float *lane = lanes + (q * columns + i) * 32 + base;
                    for (int k = 0; k < 8; k++) {
                        float v = _cvtsh_ss(values[(j + k) * value_stride + i]);
                        lane[k] = _mm_cvtss_f32(_mm_fmadd_ss(
                            _mm_set_ss(v), _mm_set_ss(weights[q * weight_stride + j + k]), _mm_set_ss(lane[k])));
                    }
                }
            }
            j += 8;
            continue;
        }
        // One token alone, into its lane.
        for (size_t q = 0; q < query_count; q++) {
            float p = weights[q * weight_stride + j];
            for (size_t i = 0; i < columns; i++) {
                float v = _cvtsh_ss(values[j * value_stride + i]);
                float *lane = lanes + (q * columns + i) * 32 + t % period;
                *lane = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(v), _mm_set_ss(p), _mm_set_ss(*lane)));
            }
        }
        j += 1;
    }
}

KERNEL void bg_f16_lanes_reduce(const float *lanes, size_t count, int llamafile, float *output) {
    for (size_t k = 0; k < count; k++) {
        const float *l = lanes + k * 32;
        if (llamafile) {
            output[k] = lane_sum(_mm256_loadu_ps(l));
            continue;
        }
        __m256 x0 = _mm256_add_ps(_mm256_loadu_ps(l), _mm256_loadu_ps(l + 16));
        __m256 x1 = _mm256_add_ps(_mm256_loadu_ps(l + 8), _mm256_loadu_ps(l + 24));
        x0 = _mm256_add_ps(x0, x1);
        __m128 t = _mm_add_ps(_mm256_castps256_ps128(x0), _mm256_extractf128_ps(x0, 1));
        t = _mm_hadd_ps(t, t);
        t = _mm_hadd_ps(t, t);
        output[k] = _mm_cvtss_f32(t);
    }
}

#else

void bg_f16_weighted_lanes(
    const uint16_t *values, size_t value_stride, size_t first, size_t count, const float *weights,
    size_t weight_stride, size_t query_count, size_t columns, int llamafile, float *lanes) {
    (void)values, (void)value_stride, (void)first, (void)count, (void)weights, (void)weight_stride;
    (void)query_count, (void)columns, (void)llamafile, (void)lanes;
}

void bg_f16_lanes_reduce(const float *lanes, size_t count, int llamafile, float *output) {
    (void)lanes, (void)count, (void)llamafile, (void)output;
}

#endif
