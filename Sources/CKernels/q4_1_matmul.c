// Q4_1 weights × Q8_1 activations in ggml's AVX2 order (`ggml_vec_dot_q4_1_q8_1`), one weight row at a time against
// up to two activation rows.
//
// Per block: the 16 bytes of nibbles become 32 unsigned bytes (low nibbles first), `maddubs` multiplies them by the
// signed activations and adds neighbouring products, `madd` with ones adds those pairs, so int32 lane l holds the
// exact sum of products 4l…4l+3; lane l = fma(d_w * d_a, float(that sum), lane l); and beside the lanes one float
// takes fma(m_w, s_a, ·). The lanes are summed as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)) and the float added last.
#include "CKernels.h"

#if defined(__x86_64__)
#include "kernel_support.h"
#include <string.h>

#pragma STDC FP_CONTRACT OFF

enum { weight_block = 20, activation_block = 48 };

KERNEL INLINE float half_at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

/// One weight row against `cols` (1 or 2) activation rows; pair c goes to `out[c * stride]`.
KERNEL INLINE void row_pairs(
    int cols, const uint8_t *w, const uint8_t *a, size_t arb, size_t blocks, float *out, size_t stride) {
    const __m256i ones = _mm256_set1_epi16(1);
    const __m128i low_mask = _mm_set1_epi8(0x0f);
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    float minimums[2] = {0, 0};
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *wb = w + b * weight_block;
        float dw = half_at(wb);
        float mw = half_at(wb + 2);
        __m128i packed = _mm_loadu_si128((const __m128i *)(wb + 4));
        __m128i low = _mm_and_si128(packed, low_mask);
        __m128i high = _mm_and_si128(_mm_srli_epi16(packed, 4), low_mask);
        __m256i wq = _mm256_set_m128i(high, low);
        for (int c = 0; c < cols; c++) {
            const uint8_t *ab = a + c * arb + b * activation_block;
            float da, sa;
            memcpy(&da, ab, 4);
            memcpy(&sa, ab + 4, 4);
            minimums[c] = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(mw), _mm_set_ss(sa), _mm_set_ss(minimums[c])));
            __m256i aq = _mm256_loadu_si256((const __m256i *)(ab + 8));
            __m256i sums = _mm256_madd_epi16(_mm256_maddubs_epi16(wq, aq), ones);
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(dw * da), _mm256_cvtepi32_ps(sums), acc[c]);
        }
    }
    for (int c = 0; c < cols; c++) out[c * stride] = lane_sum(acc[c]) + minimums[c];
}

KERNEL void bg_q4_1_matmul(
    const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end, const uint8_t *activations,
    size_t activation_row_bytes, size_t activation_count, size_t blocks, float *output, size_t output_stride) {
    for (size_t r = row_begin; r < row_end; r++) {
        const uint8_t *w = weights + r * weight_row_bytes;
        size_t i = 0;
        for (; i + 2 <= activation_count; i += 2) {
            row_pairs(
                2, w, activations + i * activation_row_bytes, activation_row_bytes, blocks,
                output + i * output_stride + r, output_stride);
        }
        if (i < activation_count) {
            row_pairs(
                1, w, activations + i * activation_row_bytes, activation_row_bytes, blocks,
                output + i * output_stride + r, output_stride);
        }
    }
}

KERNEL void bg_quantize_q8_1(const float *input, uint8_t *output, size_t blocks) {
    for (size_t b = 0; b < blocks; b++) {
        uint8_t *block = output + b * activation_block;
        __m256 v[4];
        float max = load_block_amax(input + 32 * b, v);
        float d = max / 127.0f;
        float rounded = _cvtsh_ss(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT));
        memcpy(block, &rounded, 4);
        __m256i q[4];
        round_block(v, max != 0.0f ? 127.0f / max : 0.0f, q);
        // The sum of the 32 quantized values, times the unrounded scale, rounded to F16.
        __m256i total = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
        __m128i t = _mm_add_epi32(_mm256_extracti128_si256(total, 1), _mm256_castsi256_si128(total));
        t = _mm_add_epi32(t, _mm_shuffle_epi32(t, _MM_SHUFFLE(1, 0, 3, 2)));
        t = _mm_add_epi32(t, _mm_shuffle_epi32(t, _MM_SHUFFLE(2, 3, 0, 1)));
        float s = _cvtsh_ss(_cvtss_sh(d * (float)_mm_cvtsi128_si32(t), _MM_FROUND_TO_NEAREST_INT));
        memcpy(block + 4, &s, 4);
        store_int8_block(q, block + 8);
    }
}
#else

void bg_q4_1_matmul(
    const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end, const uint8_t *activations,
    size_t activation_row_bytes, size_t activation_count, size_t blocks, float *output, size_t output_stride) {
    (void)weights, (void)weight_row_bytes, (void)row_begin, (void)row_end, (void)activations;
    (void)activation_row_bytes, (void)activation_count, (void)blocks, (void)output, (void)output_stride;
}

void bg_quantize_q8_1(const float *input, uint8_t *output, size_t blocks) {
    (void)input, (void)output, (void)blocks;
}

#endif
