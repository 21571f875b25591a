// Attention's probability-weighted sum of F16 values for the query heads that share a key-value head (the scores
// are in f16_matmul.c, since they are its dot products).
#include "CKernels.h"

#if defined(__x86_64__)
#include "kernel_support.h"

#pragma STDC FP_CONTRACT OFF

KERNEL void bg_f16_weighted_sums(
    const uint16_t *values, size_t value_stride, size_t count, const float *weights, size_t weight_stride,
    size_t query_count, size_t columns, float *output, size_t output_stride) {
    // Up to eight queries' outputs stay in registers while each value vector, converted once, is added to all.
    for (size_t q0 = 0; q0 < query_count; q0 += 8) {
        size_t group = query_count - q0 < 8 ? query_count - q0 : 8;
        const float *w = weights + q0 * weight_stride;
        float *out = output + q0 * output_stride;
        size_t i = 0;
        for (; i + 8 <= columns; i += 8) {
            __m256 o[8];
            for (size_t q = 0; q < group; q++) o[q] = _mm256_loadu_ps(out + q * output_stride + i);
            for (size_t t = 0; t < count; t++) {
                __m256 v = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(values + t * value_stride + i)));
                for (size_t q = 0; q < group; q++) {
                    o[q] = _mm256_fmadd_ps(v, _mm256_set1_ps(w[q * weight_stride + t]), o[q]);
                }
            }
            for (size_t q = 0; q < group; q++) _mm256_storeu_ps(out + q * output_stride + i, o[q]);
        }
        for (; i < columns; i++) {
            for (size_t q = 0; q < group; q++) {
                float o = out[q * output_stride + i];
                for (size_t t = 0; t < count; t++) o += w[q * weight_stride + t] * _cvtsh_ss(values[t * value_stride + i]);
                out[q * output_stride + i] = o;
            }
        }
    }
}

#else

void bg_f16_weighted_sums(
    const uint16_t *values, size_t value_stride, size_t count, const float *weights, size_t weight_stride,
    size_t query_count, size_t columns, float *output, size_t output_stride) {
    (void)values, (void)value_stride, (void)count, (void)weights, (void)weight_stride, (void)query_count;
    (void)columns, (void)output, (void)output_stride;
}

#endif
