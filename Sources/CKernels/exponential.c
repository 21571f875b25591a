// The exponential of eight floats at once, and the element-wise steps built on it: the SiLU-gated product of the
// feed-forward layer and the exponentials of a softmax with their sum. libm's `expf` called once per element
// took about a tenth of a prompt's time in these steps; the eight-lane exponential is ggml's own, so that these
// steps give llama.cpp's values bit for bit (over 30 quantized layers a last-bit difference here grows into
// log-probabilities a tenth apart).
#include "CKernels.h"

#include <math.h>

#if defined(__x86_64__)
#include "kernel_support.h"

#pragma STDC FP_CONTRACT OFF

/// e^x in each of eight lanes, computed as ggml's AVX2 `ggml_v_expf` does (Arm's optimized-routines method, within
/// 1.5 ulp), so that the SiLU and softmax values agree with llama.cpp's bit for bit: n = round(x / ln2) by adding and
/// subtracting 1.5 * 2^23; b = x - n * ln2 with ln2 in two parts; e^b - 1 by a degree-5 polynomial in b evaluated as
/// ggml groups it; then 2^n * (1 + that) through the exponent bits, with a slower scaling for |n| > 126 (and 0 or
/// infinity past |n| > 192).
KERNEL INLINE __m256 exp8(__m256 x) {
    const __m256 shifter = _mm256_set1_ps(0x1.8p23f);
    const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), shifter);
    const __m256 n = _mm256_sub_ps(z, shifter);
    const __m256 b = _mm256_fnmadd_ps(
        n, _mm256_set1_ps(0x1.7f7d1cp-20f), _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
    const __m256i e = _mm256_slli_epi32(_mm256_castps_si256(z), 23);
    const __m256 k = _mm256_castsi256_ps(_mm256_add_epi32(e, _mm256_castps_si256(_mm256_set1_ps(1))));
    const __m256 magnitude = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), n);
    const __m256 large = _mm256_cmp_ps(magnitude, _mm256_set1_ps(126), _CMP_GT_OQ);
    const __m256 u = _mm256_mul_ps(b, b);
    const __m256 high = _mm256_fmadd_ps(
        _mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
        _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f)));
    const __m256 j = _mm256_fmadd_ps(high, u, _mm256_mul_ps(_mm256_set1_ps(0x1.ffffecp-1f), b));
    if (!_mm256_movemask_ps(large)) return _mm256_fmadd_ps(j, k, k);
    // |n| > 126: 2^n split in two factors s1 * s2 so that neither overflows; past 192, s1 * s1 is 0 or infinity.
    const __m256i sign = _mm256_and_si256(
        _mm256_castps_si256(_mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ)), _mm256_set1_epi32((int)0x82000000u));
    const __m256 s1 = _mm256_castsi256_ps(_mm256_add_epi32(sign, _mm256_set1_epi32(0x7f000000)));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_sub_epi32(e, sign));
    const __m256 huge = _mm256_cmp_ps(magnitude, _mm256_set1_ps(192), _CMP_GT_OQ);
    const __m256 scaled = _mm256_blendv_ps(_mm256_fmadd_ps(k, j, k), _mm256_mul_ps(_mm256_fmadd_ps(s2, j, s2), s1), large);
    return _mm256_blendv_ps(scaled, _mm256_mul_ps(s1, s1), huge);
}

/// Both halves of eight floats added to two double accumulators.
KERNEL INLINE void add_doubles(__m256 x, __m256d *lower, __m256d *upper) {
    *lower = _mm256_add_pd(*lower, _mm256_cvtps_pd(_mm256_castps256_ps128(x)));
    *upper = _mm256_add_pd(*upper, _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)));
}

/// The four lanes of both accumulators summed.
KERNEL INLINE double double_sum(__m256d lower, __m256d upper) {
    __m256d s = _mm256_add_pd(lower, upper);
    __m128d t = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
    return _mm_cvtsd_f64(_mm_add_sd(t, _mm_unpackhi_pd(t, t)));
}

KERNEL static __m256 silu_mul8(__m256 g, __m256 u) {
    __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
    return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), u);
}

KERNEL void bg_silu_mul(float *gate, const float *up, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        _mm256_storeu_ps(gate + i, silu_mul8(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
    }
    if (i < count) {
        // The tail through the same lanes, so an element's result does not depend on where a range ends.
        float g[8] = {0}, u[8] = {0};
        for (size_t k = i; k < count; k++) g[k - i] = gate[k], u[k - i] = up[k];
        _mm256_storeu_ps(g, silu_mul8(_mm256_loadu_ps(g), _mm256_loadu_ps(u)));
        for (size_t k = i; k < count; k++) gate[k] = g[k - i];
    }
}

/// e^(x - maximum) for `count` floats at `values`, written back when `store` is set; returns their sum. Eight at a
/// time (a tail padded with -infinity, whose exponentials are 0); `ggml_sums` adds each eight in float (ggml's
/// `ggml_vec_soft_max_f32`: the lanes as `lane_sum` adds them) and then to a double, otherwise every value goes into
/// the double sum by itself.
KERNEL static double exp_shifted(float *values, size_t count, float maximum, int store, int ggml_sums) {
    __m256 shift = _mm256_set1_ps(maximum);
    __m256d lower = _mm256_setzero_pd(), upper = _mm256_setzero_pd();
    double sum = 0;
    for (size_t i = 0; i < count; i += 8) {
        size_t take = count - i < 8 ? count - i : 8;
        float lanes[8];
        __m256 x;
        if (take == 8) {
            x = _mm256_loadu_ps(values + i);
        } else {
            for (size_t k = 0; k < 8; k++) lanes[k] = k < take ? values[i + k] : -INFINITY;
            x = _mm256_loadu_ps(lanes);
        }
        __m256 e = exp8(_mm256_sub_ps(x, shift));
        if (store && take == 8) {
            _mm256_storeu_ps(values + i, e);
        } else if (store) {
            _mm256_storeu_ps(lanes, e);
            for (size_t k = 0; k < take; k++) values[i + k] = lanes[k];
        }
        if (ggml_sums) {
            sum += (double)lane_sum(e);
        } else {
            add_doubles(e, &lower, &upper);
        }
    }
    return ggml_sums ? sum : double_sum(lower, upper);
}

KERNEL double bg_softmax_exp(float *values, size_t count, float maximum) {
    return exp_shifted(values, count, maximum, 1, 1);
}

KERNEL double bg_sum_exp(const float *values, size_t count, float maximum) {
    return exp_shifted((float *)values, count, maximum, 0, 0);
}

#else

void bg_silu_mul(float *gate, const float *up, size_t count) {
    for (size_t i = 0; i < count; i++) gate[i] = gate[i] / (1 + expf(-gate[i])) * up[i];
}

double bg_softmax_exp(float *values, size_t count, float maximum) {
    double sum = 0;
    for (size_t i = 0; i < count; i++) sum += values[i] = expf(values[i] - maximum);
    return sum;
}

double bg_sum_exp(const float *values, size_t count, float maximum) {
    double sum = 0;
    for (size_t i = 0; i < count; i++) sum += expf(values[i] - maximum);
    return sum;
}

#endif
