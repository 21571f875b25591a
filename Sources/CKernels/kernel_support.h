// What the x86-64 kernel files share: the target attribute that compiles a function for AVX2/FMA/F16C only, the
// forced-inline helper marker, and ggml's reduction of eight float lanes.
#ifndef BATCHGATE_KERNEL_SUPPORT_H
#define BATCHGATE_KERNEL_SUPPORT_H

#if defined(__x86_64__)
#include <immintrin.h>

#define KERNEL __attribute__((target("avx2,fma,f16c")))
#define INLINE __attribute__((always_inline)) static inline

/// The eight lanes of `x` summed in ggml's order (`hsum_float_8`): halves, then the upper pair, then the odd lane,
/// that is ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
KERNEL INLINE float lane_sum(__m256 x) {
    __m128 r = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

/// Loads the 32 floats at `x` into `v` and returns their largest magnitude (the first steps of ggml's AVX2
/// `quantize_row_q8_0` and `quantize_row_q8_1`).
KERNEL INLINE float load_block_amax(const float *x, __m256 v[4]) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    __m256 amax = _mm256_setzero_ps();
    for (int j = 0; j < 4; j++) {
        v[j] = _mm256_loadu_ps(x + 8 * j);
        amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign_mask, v[j]));
    }
    __m128 m = _mm_max_ps(_mm256_extractf128_ps(amax, 1), _mm256_castps256_ps128(amax));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/// The 32 values of `v` times `id`, rounded to the nearest integer (ties to even), as int32 lanes in `q`.
KERNEL INLINE void round_block(const __m256 v[4], float id, __m256i q[4]) {
    __m256 scale = _mm256_set1_ps(id);
    for (int j = 0; j < 4; j++) {
        q[j] = _mm256_cvtps_epi32(
            _mm256_round_ps(_mm256_mul_ps(v[j], scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
}

/// The 32 int32 lanes of `q` saturated to int8 and stored in order at `out`.
KERNEL INLINE void store_int8_block(const __m256i q[4], uint8_t *out) {
    // int32 → int16 → int8; the packs interleave 128-bit lanes, which the permute undoes.
    __m256i s16a = _mm256_packs_epi32(q[0], q[1]);
    __m256i s16b = _mm256_packs_epi32(q[2], q[3]);
    __m256i s8 = _mm256_packs_epi16(s16a, s16b);
    s8 = _mm256_permutevar8x32_epi32(s8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)out, s8);
}
#endif

#endif
