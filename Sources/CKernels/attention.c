// Attention's probability-weighted sum of F16 values for the query heads that share a key-value head (the scores
// are in f16_matmul.c, since they are its dot products).
//
// llama.cpp computes each output element as a dot product over the tokens of one value column (its cache holds V
// transposed, its view padded to a multiple of 32 cells whose probabilities are 0) with the F16-rounded
// probabilities, in one of two orders: llamafile's tiles when the pass has more than one query token (one vector of
// eight lanes, token t in lane t % 8, summed by `lane_sum`), else ggml's `vec_dot_f16` (four vectors, token t in lane
// t % 32, reduced (0+2)+(1+3), then halves and two horizontal adds; the padding leaves no remainder). Both are kept
// here as 32 float lanes per output, filled block by block of the cache as the tokens come, and reduced at the end;
// lane s of an output is row s of the query's lanes, so every step is a vector operation over eight columns.
#include "CKernels.h"

#if defined(__x86_64__)
#include "kernel_support.h"

#pragma STDC FP_CONTRACT OFF

/// Tokens `j0..<j1` of the call (all in lane octet `octet`, the first of them in its lane 0 unless the run is a tail)
/// into `nq` (1 or 2) queries' lanes for the eight columns at `i`. Whole groups of eight tokens keep the lanes in
/// registers (token k of a group goes to lane k) and convert each value row once for the queries; a last partial
/// group works on the lanes in memory.
KERNEL INLINE void octet_step(
    int nq, const uint16_t *values, size_t value_stride, size_t first, size_t j0, size_t j1, const float *w,
    size_t weight_stride, size_t period, size_t columns, size_t i, float *rows, size_t octet) {
    size_t j = j0;
    if ((first + j) % 8 == 0 && j + 8 <= j1) {
        __m256 acc[2][8];
        for (int q = 0; q < nq; q++) {
            for (int k = 0; k < 8; k++) {
                acc[q][k] = _mm256_loadu_ps(rows + q * 32 * columns + (octet * 8 + k) * columns + i);
            }
        }
        for (; j + 8 <= j1; j += 8) {
            for (int k = 0; k < 8; k++) {
                __m256 v = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(values + (j + k) * value_stride + i)));
                for (int q = 0; q < nq; q++) {
                    acc[q][k] = _mm256_fmadd_ps(v, _mm256_set1_ps(w[q * weight_stride + j + k]), acc[q][k]);
                }
            }
        }
        for (int q = 0; q < nq; q++) {
            for (int k = 0; k < 8; k++) {
                _mm256_storeu_ps(rows + q * 32 * columns + (octet * 8 + k) * columns + i, acc[q][k]);
            }
        }
    }
    for (; j < j1; j++) {
        size_t k = (first + j) % period;
        __m256 v = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(values + j * value_stride + i)));
        for (int q = 0; q < nq; q++) {
            float *lane = rows + q * 32 * columns + k * columns + i;
            _mm256_storeu_ps(
                lane, _mm256_fmadd_ps(v, _mm256_set1_ps(w[q * weight_stride + j]), _mm256_loadu_ps(lane)));
        }
    }
}

KERNEL void bg_f16_weighted_lanes(
    const uint16_t *values, size_t value_stride, size_t first, size_t count, const float *weights,
    size_t weight_stride, size_t query_count, size_t columns, int llamafile, float *lanes) {
    size_t period = llamafile ? 8 : 32;
    // Runs of tokens that fall in one octet of lanes (a whole call with llamafile's 8 lanes; up to 8 tokens with
    // vec_dot_f16's 32), two queries at a time, eight columns at a time.
    for (size_t j0 = 0; j0 < count;) {
        size_t octet = (first + j0) % period / 8;
        size_t j1 = j0 + 1;
        while (j1 < count && (first + j1) % period / 8 == octet) j1++;
        for (size_t q = 0; q < query_count; q += 2) {
            int nq = query_count - q >= 2 ? 2 : 1;
            const float *w = weights + q * weight_stride;
            float *rows = lanes + q * 32 * columns;
            size_t i = 0;
            for (; i + 8 <= columns; i += 8) {
                if (nq == 2) {
                    octet_step(2, values, value_stride, first, j0, j1, w, weight_stride, period, columns, i, rows, octet);
                } else {
                    octet_step(1, values, value_stride, first, j0, j1, w, weight_stride, period, columns, i, rows, octet);
                }
            }
            for (; i < columns; i++) {
                for (int qq = 0; qq < nq; qq++) {
                    for (size_t j = j0; j < j1; j++) {
                        float *lane = rows + qq * 32 * columns + ((first + j) % period) * columns + i;
                        float v = _cvtsh_ss(values[j * value_stride + i]);
                        float p = w[qq * weight_stride + j];
                        *lane = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(v), _mm_set_ss(p), _mm_set_ss(*lane)));
                    }
                }
            }
        }
        j0 = j1;
    }
}

KERNEL void bg_f16_lanes_reduce(const float *lanes, size_t query_count, size_t columns, int llamafile, float *output) {
    for (size_t q = 0; q < query_count; q++) {
        const float *rows = lanes + q * 32 * columns;
        float *out = output + q * columns;
        // Lane s of column i is rows[s * columns + i]: every step of the reduction is a vertical add over columns.
#define LANE(s, i) _mm256_loadu_ps(rows + (s) * columns + (i))
        size_t i = 0;
        for (; i + 8 <= columns; i += 8) {
            __m256 l[8];
            if (llamafile) {
                for (int k = 0; k < 8; k++) l[k] = LANE(k, i);
            } else {
                for (int k = 0; k < 8; k++) {
                    l[k] = _mm256_add_ps(
                        _mm256_add_ps(LANE(k, i), LANE(16 + k, i)), _mm256_add_ps(LANE(8 + k, i), LANE(24 + k, i)));
                }
            }
            __m256 a = _mm256_add_ps(l[0], l[4]), b = _mm256_add_ps(l[1], l[5]);
            __m256 c = _mm256_add_ps(l[2], l[6]), d = _mm256_add_ps(l[3], l[7]);
            // llamafile: ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)); vec_dot_f16: ((l0+l4)+(l1+l5)) + ((l2+l6)+(l3+l7)).
            __m256 sum = llamafile ? _mm256_add_ps(_mm256_add_ps(a, c), _mm256_add_ps(b, d))
                                   : _mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, d));
            _mm256_storeu_ps(out + i, sum);
        }
#undef LANE
        for (; i < columns; i++) {
            float l[8];
            for (int k = 0; k < 8; k++) {
                float x = rows[k * columns + i];
                l[k] = llamafile ? x
                                 : (x + rows[(16 + k) * columns + i])
                                       + (rows[(8 + k) * columns + i] + rows[(24 + k) * columns + i]);
            }
            out[i] = llamafile ? ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
                               : ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]));
        }
    }
}

#else

void bg_f16_weighted_lanes(
    const uint16_t *values, size_t value_stride, size_t first, size_t count, const float *weights,
    size_t weight_stride, size_t query_count, size_t columns, int llamafile, float *lanes) {
    (void)values, (void)value_stride, (void)first, (void)count, (void)weights, (void)weight_stride;
    (void)query_count, (void)columns, (void)llamafile, (void)lanes;
}

void bg_f16_lanes_reduce(const float *lanes, size_t query_count, size_t columns, int llamafile, float *output) {
    (void)lanes, (void)query_count, (void)columns, (void)llamafile, (void)output;
}

#endif
