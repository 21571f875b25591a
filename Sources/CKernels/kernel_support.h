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
#endif

#endif
