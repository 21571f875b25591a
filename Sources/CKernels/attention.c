// The two inner loops of attention over F16 keys and values: query · key scores, and the probability-weighted
// sum of values.
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#pragma STDC FP_CONTRACT OFF

#define KERNEL __attribute__((target("avx2,fma,f16c")))

KERNEL void bg_f16_dots(
    const uint16_t *keys, size_t key_stride, size_t count, const float *query, size_t columns, float scale,
    float *scores) {
    for (size_t t = 0; t < count; t++) {
        float dot;
        bg_f16_matmul(keys + t * key_stride, 0, 1, query, 1, columns, &dot, 1);
        scores[t] = dot * scale;
    }
}

KERNEL void bg_f16_weighted_sum(
    const uint16_t *values, size_t value_stride, size_t count, const float *weights, size_t columns, float *output) {
    size_t i = 0;
    for (; i + 8 <= columns; i += 8) {
        __m256 o = _mm256_loadu_ps(output + i);
        for (size_t t = 0; t < count; t++) {
            __m256 v = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(values + t * value_stride + i)));
            o = _mm256_fmadd_ps(v, _mm256_set1_ps(weights[t]), o);
        }
        _mm256_storeu_ps(output + i, o);
    }
    for (; i < columns; i++) {
        float o = output[i];
        for (size_t t = 0; t < count; t++) o += weights[t] * _cvtsh_ss(values[t * value_stride + i]);
        output[i] = o;
    }
}

#else

void bg_f16_dots(
    const uint16_t *keys, size_t key_stride, size_t count, const float *query, size_t columns, float scale,
    float *scores) {
    (void)keys, (void)key_stride, (void)count, (void)query, (void)columns, (void)scale, (void)scores;
}

void bg_f16_weighted_sum(
    const uint16_t *values, size_t value_stride, size_t count, const float *weights, size_t columns, float *output) {
    (void)values, (void)value_stride, (void)count, (void)weights, (void)columns, (void)output;
}

#endif
