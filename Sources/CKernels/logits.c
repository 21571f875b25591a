// One pass over a row of logits for the sampler: whether every value is finite, the largest value and the index
// of its first occurrence. Eight lanes each keep their own maximum and the first index where it occurred (a lane
// only moves on a strictly larger value); the row's first maximum is then the smallest index among the lanes that
// hold the overall maximum.
#include "CKernels.h"

#include <math.h>

#if defined(__x86_64__)
#include "kernel_support.h"

KERNEL int bg_scan_logits(const float *values, size_t count, float *maximum, size_t *first_maximum) {
    const __m256i exponent = _mm256_set1_epi32(0x7f800000);
    __m256 best = _mm256_set1_ps(-INFINITY);
    __m256i best_index = _mm256_setzero_si256();
    __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i eight = _mm256_set1_epi32(8);
    __m256i nonfinite = _mm256_setzero_si256();
    size_t i = 0;
    // Lane indices are 32-bit: rows longer than 2^31 floats go through the scalar loop past that point.
    size_t vector_end = count < ((size_t)1 << 31) ? count / 8 * 8 : ((size_t)1 << 31);
    for (; i < vector_end; i += 8) {
        __m256 v = _mm256_loadu_ps(values + i);
        __m256i bits = _mm256_and_si256(_mm256_castps_si256(v), exponent);
        nonfinite = _mm256_or_si256(nonfinite, _mm256_cmpeq_epi32(bits, exponent));
        __m256 larger = _mm256_cmp_ps(v, best, _CMP_GT_OQ);
        best = _mm256_blendv_ps(best, v, larger);
        best_index = _mm256_blendv_epi8(best_index, index, _mm256_castps_si256(larger));
        index = _mm256_add_epi32(index, eight);
    }
    float lane_best[8];
    int32_t lane_index[8];
    _mm256_storeu_ps(lane_best, best);
    _mm256_storeu_si256((__m256i *)lane_index, best_index);
    float top = -INFINITY;
    size_t at = 0;
    int finite = _mm256_testz_si256(nonfinite, nonfinite);
    for (int l = 0; l < 8; l++) {
        if (lane_best[l] > top || (lane_best[l] == top && (size_t)lane_index[l] < at)) {
            top = lane_best[l];
            at = (size_t)lane_index[l];
        }
    }
    for (; i < count; i++) {
        float v = values[i];
        if (!__builtin_isfinite(v)) finite = 0;
        if (v > top) {
            top = v;
            at = i;
        }
    }
    *maximum = top;
    *first_maximum = at;
    return finite;
}

#else

int bg_scan_logits(const float *values, size_t count, float *maximum, size_t *first_maximum) {
    float top = -INFINITY;
    size_t at = 0;
    int finite = 1;
    for (size_t i = 0; i < count; i++) {
        if (!__builtin_isfinite(values[i])) finite = 0;
        if (values[i] > top) {
            top = values[i];
            at = i;
        }
    }
    *maximum = top;
    *first_maximum = at;
    return finite;
}

#endif
