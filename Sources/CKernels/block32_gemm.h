// The AVX-512 VNNI GEMM of the 32-value block kinds Q4_0, Q5_0, Q5_1 and Q8_0 in ggml's AVX2 order, bit for bit what
// `pair_tile` (and for Q8_0 `bg_q8_0_matmul`'s AVX2 tiles) computes (five or more activation rows).
//
// In ggml's order each pair keeps eight float lanes, lane l taking per block fma(d_w × d_a, float(exact sum of
// products 4l..4l+3), lane l), summed at the end as ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)). Here sixteen
// decoded weight rows sit in a panel whose vector for step l of a block holds values 4l..4l+3 of every row (lane =
// weight row), as unsigned bytes (Q4_0, Q5_0 and Q8_0 offset by 8, 16 and 128). One `vpdpbusd` of that vector with four
// activation bytes broadcast from memory, started from -offset × (their sum), is exactly lane l's integer for
// sixteen pairs at once; `vcvtdq2ps` and one fused add with the pairs' scale products follow. Eight float vectors
// per activation row hold the eight lanes; at the end they are summed in ggml's order, lane by lane. Q5_1's minimum
// terms fma(m_w, s_a, ·) go to one more vector, added after the lane sum as `pair_tile` adds them.
#ifndef BATCHGATE_BLOCK32_GEMM_H
#define BATCHGATE_BLOCK32_GEMM_H

#if defined(__x86_64__)

/// Activation rows per tile (eight float vectors each).
enum { block32_cols = 2 };

/// Byte layout of one block of a panel: eight steps of 64 bytes, then `d` of the sixteen rows, then `m`.
enum { block32_d = 512, block32_m = 576, block32_bytes = 640 };

/// What `kind`'s decoded values get added to become unsigned bytes.
GEMM_INLINE int block32_offset(int kind) {
    return kind == KIND_Q4_0 ? 8 : kind == KIND_Q5_0 ? 16 : kind == KIND_Q8_0 ? 128 : 0;
}

/// Whether the GEMM covers `kind` (IQ4_NL's even/odd lane sets stay with `pair_tile`).
GEMM_INLINE int block32_supported(int kind) {
    return kind == KIND_Q4_0 || kind == KIND_Q5_0 || kind == KIND_Q5_1 || kind == KIND_Q8_0;
}

/// Rearranges 16 decoded rows (row l at `rows + l * row_stride`: `blocks` × 32 values, then the records, both
/// padded to whole 64-byte lines) into `panel`.
GEMM GEMM_INLINE void block32_build_panel(
    int kind, const uint8_t *rows, size_t row_stride, size_t values_bytes, size_t blocks, uint8_t *panel) {
    const __m512i add = _mm512_set1_epi8((char)block32_offset(kind));
    // Values: 64 of them (two blocks) per 16 × 16 transpose.
    for (size_t q = 0; q < (blocks + 1) / 2; q++) {
        __m512i x[16];
        for (int l = 0; l < 16; l++) x[l] = _mm512_load_si512((const __m512i *)(rows + l * row_stride + 64 * q));
        gemm_transpose16(x);
        for (int j = 0; j < 16 && 2 * q + j / 8 < blocks; j++) {
            _mm512_store_si512(
                (__m512i *)(panel + (2 * q + j / 8) * block32_bytes + 64 * (j % 8)), _mm512_add_epi8(x[j], add));
        }
    }
    // Records: eight blocks' (d, m) per transpose.
    for (size_t q = 0; q < (blocks + 7) / 8; q++) {
        __m512i x[16];
        for (int l = 0; l < 16; l++) {
            x[l] = _mm512_load_si512((const __m512i *)(rows + l * row_stride + values_bytes + 64 * q));
        }
        gemm_transpose16(x);
        for (int j = 0; j < 8 && 8 * q + j < blocks; j++) {
            uint8_t *pb = panel + (8 * q + j) * block32_bytes;
            _mm512_store_si512((__m512i *)(pb + block32_d), x[2 * j]);
            _mm512_store_si512((__m512i *)(pb + block32_m), x[2 * j + 1]);
        }
    }
}

/// A panel against `cols` activation rows at `a` (`arb` apart), whose per-step starts (-offset × sum of the four
/// activations) are at `starts` (`8 * blocks` int32 per row; NULL without an offset): pair (lane l, c) goes to
/// `out[c * stride + l]` for the lanes in `keep`. Called with constant `kind` and `cols`.
GEMM GEMM_INLINE void block32_tile(
    int kind, int cols, const uint8_t *panel, const uint8_t *a, size_t arb, const int32_t *starts, size_t blocks,
    float *out, size_t stride, __mmask16 keep) {
    const int qoff = kind == KIND_Q5_1 ? 8 : 4;
    __m512 lanes[8][block32_cols], minimum[block32_cols];
    for (int c = 0; c < cols; c++) {
        for (int l = 0; l < 8; l++) lanes[l][c] = _mm512_setzero_ps();
        minimum[c] = _mm512_setzero_ps();
    }
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *pb = panel + b * block32_bytes;
        const uint8_t *ab = a + b * q8_block;
        __m512 scale[block32_cols];
        __m512 d = _mm512_load_ps((const float *)(pb + block32_d));
        for (int c = 0; c < cols; c++) scale[c] = _mm512_mul_ps(d, gemm_splatf(ab + c * arb));
        if (kind == KIND_Q5_1) {
            __m512 m = _mm512_load_ps((const float *)(pb + block32_m));
            for (int c = 0; c < cols; c++) minimum[c] = _mm512_fmadd_ps(m, gemm_splatf(ab + c * arb + 4), minimum[c]);
        }
        for (int l = 0; l < 8; l++) {
            __m512i w = _mm512_load_si512((const __m512i *)(pb + 64 * l));
            for (int c = 0; c < cols; c++) {
                __m512i s = block32_offset(kind) ? _mm512_set1_epi32(starts[c * 8 * blocks + 8 * b + l])
                                                 : _mm512_setzero_si512();
                s = _mm512_dpbusd_epi32(s, w, gemm_splat4(ab + c * arb + qoff + 4 * l));
                lanes[l][c] = _mm512_fmadd_ps(scale[c], _mm512_cvtepi32_ps(s), lanes[l][c]);
            }
        }
    }
    for (int c = 0; c < cols; c++) {
        __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(lanes[0][c], lanes[4][c]),
                                                 _mm512_add_ps(lanes[2][c], lanes[6][c])),
                                   _mm512_add_ps(_mm512_add_ps(lanes[1][c], lanes[5][c]),
                                                 _mm512_add_ps(lanes[3][c], lanes[7][c])));
        if (kind == KIND_Q5_1) sum = _mm512_add_ps(sum, minimum[c]);
        _mm512_mask_storeu_ps(out + c * stride, keep, sum);
    }
}

/// Weight rows `row_begin..<row_end` against `count` activation rows in ggml's order with AVX-512 VNNI, sixteen
/// weight rows (one panel) at a time. Called with constant `kind` (one of `block32_supported`).
GEMM GEMM_INLINE void block32_gemm(
    int kind, row_decoder decode, const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end,
    const uint8_t *activations, size_t arb, size_t count, size_t blocks, float *output, size_t stride) {
    size_t values_bytes = (32 * blocks + 63) & ~(size_t)63;
    size_t row_stride = values_bytes + ((blocks * sizeof(block_record) + 63) & ~(size_t)63);
    uint8_t *rows = aligned_alloc(64, gemm_rows * row_stride + blocks * block32_bytes);
    if (!rows) abort();
    memset(rows, 0, gemm_rows * row_stride);  // the padding the transposes read
    uint8_t *panel = rows + gemm_rows * row_stride;
    int32_t *starts = NULL;
    const int qoff = kind == KIND_Q5_1 ? 8 : 4;
    if (block32_offset(kind)) {
        starts = aligned_alloc(64, (count * 8 * blocks * sizeof(int32_t) + 63) & ~(size_t)63);
        if (!starts) abort();
        const __m256i ones = _mm256_set1_epi8(1);
        const __m256i offset = _mm256_set1_epi32(-block32_offset(kind));
        for (size_t i = 0; i < count; i++) {
            for (size_t b = 0; b < blocks; b++) {
                __m256i q = _mm256_loadu_si256((const __m256i *)(activations + i * arb + b * q8_block + qoff));
                __m256i sums = _mm256_madd_epi16(_mm256_maddubs_epi16(ones, q), _mm256_set1_epi16(1));
                _mm256_storeu_si256((__m256i *)(starts + (i * blocks + b) * 8), _mm256_mullo_epi32(sums, offset));
            }
        }
    }
    for (size_t p0 = row_begin; p0 < row_end; p0 += gemm_rows) {
        size_t valid = row_end - p0 < gemm_rows ? row_end - p0 : gemm_rows;
        for (size_t l = 0; l < gemm_rows; l++) {
            uint8_t *slot = rows + l * row_stride;
            if (l < valid) {
                decode(weights + (p0 + l) * weight_row_bytes, blocks, (int8_t *)slot, slot + values_bytes);
            } else {
                memset(slot, 0, row_stride);  // zero rows: results not stored
            }
        }
        block32_build_panel(kind, rows, row_stride, values_bytes, blocks, panel);
        __mmask16 keep = (__mmask16)((1u << valid) - 1);
        size_t i = 0;
        for (; i + block32_cols <= count; i += block32_cols) {
            block32_tile(kind, block32_cols, panel, activations + i * arb, arb, starts ? starts + i * 8 * blocks : NULL,
                         blocks, output + i * stride + p0, stride, keep);
        }
        for (; i < count; i++) {
            block32_tile(kind, 1, panel, activations + i * arb, arb, starts ? starts + i * 8 * blocks : NULL, blocks,
                         output + i * stride + p0, stride, keep);
        }
    }
    free(starts);
    free(rows);
}

/// Defines `name`, the AVX-512 GEMM of `kind` (row decoder `decode`); an empty body for kinds it does not cover.
#define BLOCK32_GEMM(name, kind, decode)                                                                           \
    GEMM static void name(                                                                                         \
        const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end,                         \
        const uint8_t *activations, size_t activation_row_bytes, size_t activation_count, size_t blocks,           \
        float *output, size_t output_stride) {                                                                     \
        if (block32_supported(kind)) {                                                                             \
            block32_gemm(kind, decode, weights, weight_row_bytes, row_begin, row_end, activations,                 \
                         activation_row_bytes, activation_count, blocks, output, output_stride);                   \
        }                                                                                                          \
    }

#endif

#endif
