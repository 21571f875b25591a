// F16 weights × F32 activations (F16-rounded already) with FMA, one weight row against up to three activation rows
// at a time so each converted weight vector serves several products.
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#pragma STDC FP_CONTRACT OFF

#define KERNEL __attribute__((target("avx2,fma,f16c")))
#define INLINE __attribute__((always_inline)) static inline

/// Eight lanes summed: halves added, then two horizontal adds (ggml's AVX2 reduction order).
KERNEL INLINE float sum8(__m256 x) {
    __m128 t = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    t = _mm_hadd_ps(t, t);
    t = _mm_hadd_ps(t, t);
    return _mm_cvtss_f32(t);
}

/// One weight row `w` against `cols` activation rows at `a` (`n` floats apart); results to `out[c * stride]`.
/// (One row streams well with the hardware prefetcher alone, unlike the Q8_0 kernel's eight.)
KERNEL INLINE void tile(int cols, const uint16_t *w, const float *a, size_t n, float *out, size_t stride) {
    __m256 acc[3][4];
    for (int c = 0; c < cols; c++) {
        for (int j = 0; j < 4; j++) acc[c][j] = _mm256_setzero_ps();
    }
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        for (int j = 0; j < 4; j++) {
            __m256 wv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i + 8 * j)));
            for (int c = 0; c < cols; c++) {
                acc[c][j] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(a + c * n + i + 8 * j), acc[c][j]);
            }
        }
    }
    for (int c = 0; c < cols; c++) {
        __m256 s = _mm256_add_ps(_mm256_add_ps(acc[c][0], acc[c][2]), _mm256_add_ps(acc[c][1], acc[c][3]));
        double sum = sum8(s);
        for (size_t k = i; k < n; k++) sum += (double)(_cvtsh_ss(w[k]) * a[c * n + k]);
        out[c * stride] = (float)sum;
    }
}

KERNEL void bg_f16_matmul(
    const uint16_t *weights, size_t row_begin, size_t row_end, const float *activations, size_t activation_count,
    size_t columns, float *output, size_t output_stride) {
    // Panels of 16 weight rows: a group of activation rows is read from cache by every row of the panel before
    // the next group, and the panel itself stays in cache, so weights stream from memory once per call.
    for (size_t r0 = row_begin; r0 < row_end; r0 += 16) {
        size_t r1 = r0 + 16 < row_end ? r0 + 16 : row_end;
        size_t i = 0;
        for (; i + 3 <= activation_count; i += 3) {
            for (size_t r = r0; r < r1; r++) {
                tile(3, weights + r * columns, activations + i * columns, columns, output + i * output_stride + r,
                     output_stride);
            }
        }
        for (; i < activation_count; i++) {
            for (size_t r = r0; r < r1; r++) {
                tile(1, weights + r * columns, activations + i * columns, columns, output + i * output_stride + r,
                     output_stride);
            }
        }
    }
}

KERNEL void bg_f16_scores(
    const uint16_t *keys, size_t key_stride, size_t count, const float *queries, size_t query_count, size_t columns,
    float scale, float *scores, size_t score_stride) {
    // Each key is read once for up to three queries, as a weight row is for three activation rows above.
    for (size_t t = 0; t < count; t++) {
        const uint16_t *key = keys + t * key_stride;
        size_t q = 0;
        for (; q + 3 <= query_count; q += 3) {
            tile(3, key, queries + q * columns, columns, scores + q * score_stride + t, score_stride);
        }
        for (; q < query_count; q++) tile(1, key, queries + q * columns, columns, scores + q * score_stride + t, 1);
        for (q = 0; q < query_count; q++) scores[q * score_stride + t] *= scale;
    }
}

KERNEL void bg_widen_f16(const uint16_t *input, float *output, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        _mm256_storeu_ps(output + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(input + i))));
    }
    for (; i < count; i++) output[i] = _cvtsh_ss(input[i]);
}

KERNEL void bg_round_through_f16(const float *input, float *output, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(input + i), _MM_FROUND_TO_NEAREST_INT);
        _mm256_storeu_ps(output + i, _mm256_cvtph_ps(h));
    }
    for (; i < count; i++) output[i] = _cvtsh_ss(_cvtss_sh(input[i], _MM_FROUND_TO_NEAREST_INT));
}

#else

void bg_f16_matmul(
    const uint16_t *weights, size_t row_begin, size_t row_end, const float *activations, size_t activation_count,
    size_t columns, float *output, size_t output_stride) {
    (void)weights, (void)row_begin, (void)row_end, (void)activations, (void)activation_count, (void)columns;
    (void)output, (void)output_stride;
}

void bg_f16_scores(
    const uint16_t *keys, size_t key_stride, size_t count, const float *queries, size_t query_count, size_t columns,
    float scale, float *scores, size_t score_stride) {
    (void)keys, (void)key_stride, (void)count, (void)queries, (void)query_count, (void)columns, (void)scale;
    (void)scores, (void)score_stride;
}

void bg_widen_f16(const uint16_t *input, float *output, size_t count) {
    (void)input, (void)output, (void)count;
}

void bg_round_through_f16(const float *input, float *output, size_t count) {
    for (size_t i = 0; i < count; i++) output[i] = input[i];
}

#endif
