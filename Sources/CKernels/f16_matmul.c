// F16 weights × F32 activations (F16-rounded already) with FMA, in tiles of 4 weight rows × 2 activation rows for
// up to three activation rows, and 3 × 4 from four on: twelve accumulators, three conversions and four loads for
// every twelve fused multiply-adds (the 4 × 2 tile needs four conversions and two loads for eight), which measured
// 6–10% faster on 512 and on 16 activation rows in a harness, with the same results bit for bit.
//
// Each (weight row, activation row) pair has one vector of eight float lanes, and every eight columns add their
// products into it with one fused multiply-add; the lanes are summed at the end as ((l0+l4)+(l2+l6)) +
// ((l1+l5)+(l3+l7)), and a tail of under eight columns is added in double. This is llamafile's order for F16
// tiles, and it depends only on the pair, so batching cannot change a result. Attention scores use the
// four-vector order of ggml's `vec_dot_f16` instead (`score_tile`).
#include "CKernels.h"

#if defined(__x86_64__)
#include "kernel_support.h"

#pragma STDC FP_CONTRACT OFF

#ifndef PREFETCH_DISTANCE
#define PREFETCH_DISTANCE 8192
#endif

/// `rows` weight rows at `w` × `cols` activation rows at `a` (rows <= 4, cols <= 4, at most twelve pairs; both `n`
/// elements apart);
/// pair (r, c) goes to `out[c * stride + r]`. Called with constant shapes so the loops unroll. When `ahead` is not
/// null, the weights from there on are prefetched as one run, `rows` cache lines per 32 columns: the tile's rows are
/// contiguous, so that run keeps the same distance ahead of the reads (the weights the first pass over a panel
/// reaches next). That loop is a separate copy so the other passes carry no prefetch test.
KERNEL INLINE void tile(
    int rows, int cols, const uint16_t *w, const float *a, size_t n, float *out, size_t stride,
    const uint16_t *ahead) {
    __m256 acc[4][4];
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) acc[r][c] = _mm256_setzero_ps();
    }
    size_t i = 0;
#define STEP(I)                                                                                                    \
    do {                                                                                                           \
        __m256 wv[4];                                                                                              \
        for (int r = 0; r < rows; r++) {                                                                           \
            wv[r] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + r * n + (I))));                          \
        }                                                                                                          \
        for (int c = 0; c < cols; c++) {                                                                           \
            __m256 av = _mm256_loadu_ps(a + c * n + (I));                                                          \
            for (int r = 0; r < rows; r++) acc[r][c] = _mm256_fmadd_ps(wv[r], av, acc[r][c]);                      \
        }                                                                                                          \
    } while (0)
    if (ahead) {
        for (; i + 32 <= n; i += 32) {
            const char *next = (const char *)ahead + i / 32 * (size_t)rows * 64;
            for (int r = 0; r < rows; r++) _mm_prefetch(next + r * 64, _MM_HINT_T0);
            STEP(i); STEP(i + 8); STEP(i + 16); STEP(i + 24);
        }
    }
    for (; i + 8 <= n; i += 8) STEP(i);
#undef STEP
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            double sum = lane_sum(acc[r][c]);
            for (size_t k = i; k < n; k++) sum += (double)(_cvtsh_ss(w[r * n + k]) * a[c * n + k]);
            out[c * stride + r] = (float)sum;
        }
    }
}

/// Eight lanes summed: halves added, then two horizontal adds (ggml's AVX2 `vec_dot_f16` reduction).
KERNEL INLINE float sum8(__m256 x) {
    __m128 t = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    t = _mm_hadd_ps(t, t);
    t = _mm_hadd_ps(t, t);
    return _mm_cvtss_f32(t);
}

/// One key `w` against `cols` queries at `a` (`n` floats apart) in ggml's `vec_dot_f16` order: four vectors of
/// eight lanes over 32-element steps, reduced (0+2)+(1+3), then `sum8`; a tail of under 32 added in double.
/// Results to `out[c * stride]`.
KERNEL INLINE void score_tile(int cols, const uint16_t *w, const float *a, size_t n, float *out, size_t stride) {
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

/// Weight rows `r0..<r1` against `COLS` activation rows at `act`: tiles of `ROWS` weight rows, then single rows.
/// The first pass over a panel (the only one in a decode step) also prefetches the weights `PREFETCH_DISTANCE`
/// bytes ahead, so that they arrive while this panel is computed. One sequential run of prefetches, rather than
/// one per row of the tile (four runs 2·`columns` bytes apart), streamed a decode step's weights 6–10% faster in a
/// harness (alternating steps, 2 threads), the same as reading one row at a time with four accumulators.
#define PANEL(ROWS, COLS)                                                                                          \
    do {                                                                                                           \
        size_t r = r0;                                                                                             \
        for (; r + ROWS <= r1; r += ROWS) {                                                                        \
            const uint16_t *ahead = NULL;                                                                          \
            if (i == 0 && (r + ROWS) * columns * 2 + PREFETCH_DISTANCE <= row_end * columns * 2)                   \
                ahead = weights + r * columns + PREFETCH_DISTANCE / 2;                                             \
            tile(ROWS, COLS, weights + r * columns, act, columns, out + r, output_stride, ahead);                  \
        }                                                                                                          \
        for (; r < r1; r++) tile(1, COLS, weights + r * columns, act, columns, out + r, output_stride, NULL);      \
    } while (0)

KERNEL void bg_f16_matmul(
    const uint16_t *weights, size_t row_begin, size_t row_end, const float *activations, size_t activation_count,
    size_t columns, float *output, size_t output_stride) {
    // Panels of weight rows stay in cache while every activation row passes over them, four (or two) at a time,
    // so the weights stream from memory once per call.
    int wide = activation_count >= 4;
    size_t height = wide ? 12 : 16;
    for (size_t r0 = row_begin; r0 < row_end; r0 += height) {
        size_t r1 = r0 + height < row_end ? r0 + height : row_end;
        size_t i = 0;
#define PASS(ROWS, COLS)                                                                                           \
    do {                                                                                                           \
        const float *act = activations + i * columns;                                                              \
        float *out = output + i * output_stride;                                                                   \
        PANEL(ROWS, COLS);                                                                                         \
    } while (0)
        if (wide) {
            for (; i + 4 <= activation_count; i += 4) PASS(3, 4);
            switch (activation_count - i) {
            case 3: PASS(3, 3); break;
            case 2: PASS(3, 2); break;
            case 1: PASS(3, 1); break;
            }
        } else {
            for (; i + 2 <= activation_count; i += 2) PASS(4, 2);
            for (; i < activation_count; i++) PASS(4, 1);
        }
#undef PASS
    }
}

/// `keys` keys (at `w`, `key_stride` halves apart) against `cols` queries at `a` (`n` floats apart, `n` a multiple
/// of 8) in llamafile's order: one vector of eight lanes per pair, eight columns per fused multiply-add, summed at the
/// end by `lane_sum`; pair (key k, query c) goes to `out[c * stride + k]`. Several keys at once keep independent
/// chains of multiply-adds in flight; each pair's order is the same whatever shares the call.
KERNEL INLINE void score_tile_llamafile(
    int keys, int cols, const uint16_t *w, size_t key_stride, const float *a, size_t n, float *out, size_t stride) {
    __m256 acc[4][3];
    for (int k = 0; k < keys; k++) {
        for (int c = 0; c < cols; c++) acc[k][c] = _mm256_setzero_ps();
    }
    for (size_t i = 0; i < n; i += 8) {
        __m256 av[3];
        for (int c = 0; c < cols; c++) av[c] = _mm256_loadu_ps(a + c * n + i);
        for (int k = 0; k < keys; k++) {
            __m256 wv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + k * key_stride + i)));
            for (int c = 0; c < cols; c++) acc[k][c] = _mm256_fmadd_ps(wv, av[c], acc[k][c]);
        }
    }
    for (int k = 0; k < keys; k++) {
        for (int c = 0; c < cols; c++) out[c * stride + k] = lane_sum(acc[k][c]);
    }
}

KERNEL void bg_f16_scores(
    const uint16_t *keys, size_t key_stride, size_t count, const float *queries, size_t query_count, size_t columns,
    float scale, float *scores, size_t score_stride, int llamafile) {
    if (llamafile && columns % 8 == 0) {
        // Up to four keys against up to three queries at a time.
        for (size_t q = 0; q < query_count; q += 3) {
            int cols = query_count - q < 3 ? (int)(query_count - q) : 3;
            size_t t = 0;
            for (; t + 4 <= count; t += 4) {
                score_tile_llamafile(
                    4, cols, keys + t * key_stride, key_stride, queries + q * columns, columns,
                    scores + q * score_stride + t, score_stride);
            }
            for (; t < count; t++) {
                score_tile_llamafile(
                    1, cols, keys + t * key_stride, key_stride, queries + q * columns, columns,
                    scores + q * score_stride + t, score_stride);
            }
        }
    } else {
        // Each key is read once for up to three queries.
        for (size_t t = 0; t < count; t++) {
            const uint16_t *key = keys + t * key_stride;
            size_t q = 0;
            for (; q + 3 <= query_count; q += 3) {
                score_tile(3, key, queries + q * columns, columns, scores + q * score_stride + t, score_stride);
            }
            for (; q < query_count; q++) {
                score_tile(1, key, queries + q * columns, columns, scores + q * score_stride + t, 1);
            }
        }
    }
    for (size_t q = 0; q < query_count; q++) {
        for (size_t t = 0; t < count; t++) scores[q * score_stride + t] *= scale;
    }
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
    float scale, float *scores, size_t score_stride, int llamafile) {
    (void)keys, (void)key_stride, (void)count, (void)queries, (void)query_count, (void)columns, (void)scale;
    (void)scores, (void)score_stride, (void)llamafile;
}

void bg_round_through_f16(const float *input, float *output, size_t count) {
    for (size_t i = 0; i < count; i++) output[i] = input[i];
}

#endif
