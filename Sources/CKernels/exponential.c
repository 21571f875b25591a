// The exponential of eight floats at once, and the element-wise steps built on it: the SiLU-gated product of the
// feed-forward layer and the exponentials of a softmax with their sum. libm's `expf` called once per element
// took about a tenth of a prompt's time in these steps.
#include "CKernels.h"

#include <math.h>

#if defined(__x86_64__)
#include "kernel_support.h"

#pragma STDC FP_CONTRACT OFF

/// e^x in each of eight lanes. x = n·ln2 + r with n whole and |r| <= ln2/2 (ln2 in two parts, the first with few
/// enough bits that n times it is exact), e^r by its Taylor polynomial to degree 7 (Horner's rule with fused
/// multiply-adds: the truncation is under a tenth of an ulp), then 2^n added into the exponent bits. Lanes below
/// -87 give 0 (e^-87 is near the smallest normal float), lanes above 88 are taken as 88, NaN stays NaN.
KERNEL INLINE __m256 exp8(__m256 x) {
    const __m256 low = _mm256_set1_ps(-87.0f), high = _mm256_set1_ps(88.0f);
    __m256 underflow = _mm256_cmp_ps(x, low, _CMP_LT_OQ);
    x = _mm256_min_ps(high, _mm256_max_ps(low, x));
    __m256 n = _mm256_round_ps(
        _mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    __m256 result = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
    return _mm256_andnot_ps(underflow, result);
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

/// e^(x - maximum) for `count` floats at `values`, written back when `store` is set; returns their sum in double.
KERNEL static double exp_shifted(float *values, size_t count, float maximum, int store) {
    __m256 shift = _mm256_set1_ps(maximum);
    __m256d lower = _mm256_setzero_pd(), upper = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(values + i), shift));
        if (store) _mm256_storeu_ps(values + i, e);
        add_doubles(e, &lower, &upper);
    }
    if (i < count) {
        float tail[8];
        for (size_t k = 0; k < 8; k++) tail[k] = i + k < count ? values[i + k] : -INFINITY;
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(tail), shift));
        _mm256_storeu_ps(tail, e);
        if (store) {
            for (size_t k = i; k < count; k++) values[k] = tail[k - i];
        }
        add_doubles(e, &lower, &upper);
    }
    return double_sum(lower, upper);
}

KERNEL double bg_softmax_exp(float *values, size_t count, float maximum) {
    return exp_shifted(values, count, maximum, 1);
}

KERNEL double bg_sum_exp(const float *values, size_t count, float maximum) {
    return exp_shifted((float *)values, count, maximum, 0);
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
