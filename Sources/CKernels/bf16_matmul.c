// BF16 weights × BF16 activations in the order of ggml's AVX2 `ggml_vec_dot_bf16` as GCC builds it (the
// multiply-adds fused): four vectors of eight lanes over 32-element steps, reduced (c1 + c3) + (c2 + c4) and then as
// `lane_sum`, the float added to a double; a tail of under 32 added product by product in double.
#include "CKernels.h"

#if defined(__x86_64__)
#include "kernel_support.h"

#pragma STDC FP_CONTRACT OFF

/// Eight BF16 values at `p` widened to floats.
KERNEL INLINE __m256 widen(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}

KERNEL INLINE float bf16_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    __builtin_memcpy(&f, &bits, 4);
    return f;
}

/// One weight row against `cols` (1 or 2) activation rows; pair c goes to `out[c * stride]`.
KERNEL INLINE void row_pairs(
    int cols, const uint16_t *w, const uint16_t *a, size_t columns, float *out, size_t stride) {
    __m256 c[2][4];
    for (int k = 0; k < cols; k++) {
        for (int j = 0; j < 4; j++) c[k][j] = _mm256_setzero_ps();
    }
    size_t i = 0;
    for (; i + 32 <= columns; i += 32) {
        __m256 wv[4];
        for (int j = 0; j < 4; j++) wv[j] = widen(w + i + 8 * j);
        for (int k = 0; k < cols; k++) {
            for (int j = 0; j < 4; j++) c[k][j] = _mm256_fmadd_ps(wv[j], widen(a + k * columns + i + 8 * j), c[k][j]);
        }
    }
    for (int k = 0; k < cols; k++) {
        __m256 s = _mm256_add_ps(_mm256_add_ps(c[k][0], c[k][2]), _mm256_add_ps(c[k][1], c[k][3]));
        double sum = (double)lane_sum(s);
        for (size_t t = i; t < columns; t++) sum += (double)(bf16_float(w[t]) * bf16_float(a[k * columns + t]));
        out[k * stride] = (float)sum;
    }
}

KERNEL void bg_bf16_matmul(
    const uint16_t *weights, size_t row_begin, size_t row_end, const uint16_t *activations, size_t activation_count,
    size_t columns, float *output, size_t output_stride) {
    for (size_t r = row_begin; r < row_end; r++) {
        const uint16_t *w = weights + r * columns;
        size_t i = 0;
        for (; i + 2 <= activation_count; i += 2) {
            row_pairs(2, w, activations + i * columns, columns, output + i * output_stride + r, output_stride);
        }
        if (i < activation_count) {
            row_pairs(1, w, activations + i * columns, columns, output + i * output_stride + r, output_stride);
        }
    }
}

#else

void bg_bf16_matmul(
    const uint16_t *weights, size_t row_begin, size_t row_end, const uint16_t *activations, size_t activation_count,
    size_t columns, float *output, size_t output_stride) {
    (void)weights, (void)row_begin, (void)row_end, (void)activations, (void)activation_count, (void)columns;
    (void)output, (void)output_stride;
}

#endif
