// The AVX-512 VNNI prefill GEMM of the decoded-row kinds (five or more activation rows), in the exact-block order
// of `exact_order.h`: its results equal `exact_pair_reference` bit for bit.
//
// Sixteen weight rows are decoded (by the kinds' own decoders) and rearranged into a panel whose 64-byte vectors
// hold, lane by lane, one value of each of the sixteen rows: step k of a block is values 4k..4k+3 of every row, as
// unsigned bytes (signed kinds get an offset added, taken back exactly below). The activation rows stay as prepared:
// `vpdpbusd` multiplies a panel vector by four activation bytes broadcast from memory, so each int32 lane sums the
// products of one (weight row, activation row) pair. A tile is those sixteen weight rows × `cols` activation rows.
//
// Per block and pair, the integers follow the reference exactly (int32 arithmetic, which wraps, is exact whenever
// the true sums fit, as they do):
//   - each scale group's sum T (a fresh accumulator) is multiplied by the row's group scale and added into S: by
//     `vpdpwssd` with the scale in the low half when T fits int16 (Q2_K, Q3_K, Q4_K), else `vpmulld` + `vpaddd`;
//   - the offsets come back as S -= offset × Σ_g scale_g × (activation sum of group g), by `vpdpwssd` of per-row
//     int16 pairs (-offset × scale) against the Q8_K block's int16 sums; for the 32-value blocks S starts at
//     -offset × (activation block sum), from a table computed once per call;
//   - the minimums' M by `vpdpwssd` of the rows' minimum pairs against the same sums;
// then r = fma(d × d_a, float(S), r), and r = fma(-dmin × d_a, float(M), r) or fma(m, s_a, r), lane by lane.
#ifndef BATCHGATE_EXACT_GEMM_H
#define BATCHGATE_EXACT_GEMM_H

#if defined(__x86_64__)

#define GEMM __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#define GEMM_INLINE __attribute__((always_inline)) static inline

/// Weight rows per panel (the int32 lanes of one vector) and the widest tile in activation rows.
enum { gemm_rows = 16, gemm_cols = 8 };

/// Byte layout of one super-block of a panel: values (64 steps × 64), group scales (16 × 64), offset pairs (8 × 64),
/// minimum pairs (8 × 64), `d` and `-dmin` (16 floats each).
enum {
    gemm_super_scales = 4096,
    gemm_super_offsets = 5120,
    gemm_super_mins = 5632,
    gemm_super_d = 6144,
    gemm_super_ndmin = 6208,
    gemm_super_bytes = 6272,
};
/// Byte layout of one 32-value block of a panel: values (8 steps × 64), `d` and `m` (16 floats each).
enum { gemm_block_d = 512, gemm_block_m = 576, gemm_block_bytes = 640 };

/// What `kind`'s decoded values get added to become unsigned bytes.
GEMM_INLINE int gemm_value_offset(int kind) {
    switch (kind) {
    case KIND_Q3_K: return 4;
    case KIND_Q4_0: return 8;
    case KIND_Q5_0: return 16;
    case KIND_IQ4_XS:
    case KIND_IQ4_NL: return 128;
    default: return 0;
    }
}

/// What is taken back per group as offset × scale × activation sum (Q6_K's own offset of 32 included).
GEMM_INLINE int gemm_group_offset(int kind) { return kind == KIND_Q6_K ? 32 : gemm_value_offset(kind); }

/// Values per scale group of a super-block kind: 32 where both 16-value halves share a scale and `vpmulld` applies
/// it, otherwise 16.
GEMM_INLINE int gemm_group_values(int kind) { return kind == KIND_Q5_K || kind == KIND_IQ4_XS ? 32 : 16; }

/// Whether a 16-value group's sum fits int16 (unsigned values below 16 times |a| <= 128, 16 of them), so one
/// `vpdpwssd` applies the scale.
GEMM_INLINE int gemm_scale_by_words(int kind) {
    return kind == KIND_Q2_K || kind == KIND_Q3_K || kind == KIND_Q4_K;
}

GEMM_INLINE int gemm_has_mins(int kind) { return kind == KIND_Q2_K || kind == KIND_Q4_K || kind == KIND_Q5_K; }

/// Two int16 in one int32 lane (`lo` in the low half).
GEMM_INLINE int32_t gemm_pair(int lo, int hi) { return (int32_t)(uint16_t)lo | (int32_t)((uint32_t)(uint16_t)hi << 16); }

/// Four bytes at `p` broadcast to every int32 lane.
GEMM GEMM_INLINE __m512i gemm_splat4(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

GEMM GEMM_INLINE __m512 gemm_splatf(const uint8_t *p) {
    float v;
    memcpy(&v, p, 4);
    return _mm512_set1_ps(v);
}

/// Rearranges 16 decoded rows (row l at `rows + l * row_stride`: `n` values then the records) into `panel`.
GEMM GEMM_INLINE void gemm_build_panel(
    int kind, const uint8_t *rows, size_t row_stride, size_t n, size_t blocks, uint8_t *panel) {
    const int super = is_super(kind);
    const size_t block_bytes = super ? gemm_super_bytes : gemm_block_bytes;
    const int steps = super ? 64 : 8;
    const __m512i add = _mm512_set1_epi8((char)gemm_value_offset(kind));
    // Values: dword k of every row into lanes of step k; 16 steps at a time by a 16 × 16 dword transpose.
    const __m512i lane = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32((int)row_stride));
    size_t total_steps = n / 4;
    for (size_t s = 0; s < total_steps; s++) {
        __m512i v = _mm512_i32gather_epi32(lane, rows + 4 * s, 1);
        v = _mm512_add_epi8(v, add);
        _mm512_store_si512((__m512i *)(panel + (s / steps) * block_bytes + (s % steps) * 64), v);
    }
    for (size_t b = 0; b < blocks; b++) {
        uint8_t *pb = panel + b * block_bytes;
        for (int l = 0; l < gemm_rows; l++) {
            const uint8_t *records = rows + l * row_stride + n;
            if (super) {
                const super_record *rec = (const super_record *)(records + b * sizeof(super_record));
                int32_t *scales = (int32_t *)(pb + gemm_super_scales);
                int32_t *offsets = (int32_t *)(pb + gemm_super_offsets);
                int32_t *mins = (int32_t *)(pb + gemm_super_mins);
                int groups = 256 / gemm_group_values(kind);
                for (int g = 0; g < groups; g++) {
                    int s = rec->scales[g * (16 / groups)];
                    scales[16 * g + l] = gemm_scale_by_words(kind) ? gemm_pair(s, 0) : s;
                }
                int off = gemm_group_offset(kind);
                for (int j = 0; j < 8; j++) {
                    offsets[16 * j + l] = gemm_pair(-off * rec->scales[2 * j], -off * rec->scales[2 * j + 1]);
                    mins[16 * j + l] = kind == KIND_Q2_K ? gemm_pair(rec->mins[2 * j], rec->mins[2 * j + 1])
                                                         : gemm_pair(rec->mins[j], rec->mins[j]);
                }
                ((float *)(pb + gemm_super_d))[l] = rec->d;
                ((float *)(pb + gemm_super_ndmin))[l] = -rec->dmin;
            } else {
                const block_record *rec = (const block_record *)(records + b * sizeof(block_record));
                ((float *)(pb + gemm_block_d))[l] = rec->d;
                ((float *)(pb + gemm_block_m))[l] = rec->m;
            }
        }
    }
}

/// A panel of super-blocks against `cols` activation rows at `a` (`arb` apart): pair (lane l, c) goes to
/// `out[c * stride + l]` for the lanes in `keep`. Called with constant `kind` and `cols`.
GEMM GEMM_INLINE void gemm_super_tile(
    int kind, int cols, const uint8_t *panel, const uint8_t *a, size_t arb, size_t blocks, float *out, size_t stride,
    __mmask16 keep) {
    const int group = gemm_group_values(kind) / 4;  // steps per group
    __m512 r[gemm_cols];
    for (int c = 0; c < cols; c++) r[c] = _mm512_setzero_ps();
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *pb = panel + b * gemm_super_bytes;
        const uint8_t *ab = a + b * q8k_block;
        __m512i s[gemm_cols];
        for (int c = 0; c < cols; c++) s[c] = _mm512_setzero_si512();
        for (int g = 0; g < 64 / group; g++) {
            __m512i t[gemm_cols];
            for (int c = 0; c < cols; c++) t[c] = _mm512_setzero_si512();
            for (int k = g * group; k < g * group + group; k++) {
                __m512i w = _mm512_load_si512((const __m512i *)(pb + 64 * k));
                for (int c = 0; c < cols; c++) t[c] = _mm512_dpbusd_epi32(t[c], w, gemm_splat4(ab + c * arb + 4 * k));
            }
            __m512i scale = _mm512_load_si512((const __m512i *)(pb + gemm_super_scales + 64 * g));
            for (int c = 0; c < cols; c++) {
                s[c] = gemm_scale_by_words(kind) ? _mm512_dpwssd_epi32(s[c], t[c], scale)
                                                 : _mm512_add_epi32(s[c], _mm512_mullo_epi32(t[c], scale));
            }
        }
        if (gemm_group_offset(kind)) {
            for (int j = 0; j < 8; j++) {
                __m512i o = _mm512_load_si512((const __m512i *)(pb + gemm_super_offsets + 64 * j));
                for (int c = 0; c < cols; c++) {
                    s[c] = _mm512_dpwssd_epi32(s[c], o, gemm_splat4(ab + c * arb + q8k_sums + 4 * j));
                }
            }
        }
        __m512 d = _mm512_load_ps((const float *)(pb + gemm_super_d));
        for (int c = 0; c < cols; c++) {
            __m512 da = gemm_splatf(ab + c * arb + q8k_scale);
            r[c] = _mm512_fmadd_ps(_mm512_mul_ps(d, da), _mm512_cvtepi32_ps(s[c]), r[c]);
        }
        if (gemm_has_mins(kind)) {
            __m512i m[gemm_cols];
            for (int c = 0; c < cols; c++) m[c] = _mm512_setzero_si512();
            for (int j = 0; j < 8; j++) {
                __m512i mv = _mm512_load_si512((const __m512i *)(pb + gemm_super_mins + 64 * j));
                for (int c = 0; c < cols; c++) {
                    m[c] = _mm512_dpwssd_epi32(m[c], mv, gemm_splat4(ab + c * arb + q8k_sums + 4 * j));
                }
            }
            __m512 ndmin = _mm512_load_ps((const float *)(pb + gemm_super_ndmin));
            for (int c = 0; c < cols; c++) {
                __m512 da = gemm_splatf(ab + c * arb + q8k_scale);
                r[c] = _mm512_fmadd_ps(_mm512_mul_ps(ndmin, da), _mm512_cvtepi32_ps(m[c]), r[c]);
            }
        }
    }
    for (int c = 0; c < cols; c++) _mm512_mask_storeu_ps(out + c * stride, keep, r[c]);
}

/// A panel of 32-value blocks against `cols` activation rows at `a` (`arb` apart), whose blocks' -offset × sums
/// are at `starts` (`blocks` apart; NULL when the kind has no offset). As `gemm_super_tile` otherwise.
GEMM GEMM_INLINE void gemm_block_tile(
    int kind, int cols, const uint8_t *panel, const uint8_t *a, size_t arb, const int32_t *starts, size_t blocks,
    float *out, size_t stride, __mmask16 keep) {
    const int qoff = kind == KIND_Q5_1 ? 8 : 4;
    __m512 r[gemm_cols];
    for (int c = 0; c < cols; c++) r[c] = _mm512_setzero_ps();
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *pb = panel + b * gemm_block_bytes;
        const uint8_t *ab = a + b * q8_block;
        __m512i s[gemm_cols];
        for (int c = 0; c < cols; c++) {
            s[c] = gemm_value_offset(kind) ? _mm512_set1_epi32(starts[c * blocks + b]) : _mm512_setzero_si512();
        }
        for (int k = 0; k < 8; k++) {
            __m512i w = _mm512_load_si512((const __m512i *)(pb + 64 * k));
            for (int c = 0; c < cols; c++) s[c] = _mm512_dpbusd_epi32(s[c], w, gemm_splat4(ab + c * arb + qoff + 4 * k));
        }
        __m512 d = _mm512_load_ps((const float *)(pb + gemm_block_d));
        for (int c = 0; c < cols; c++) {
            __m512 da = gemm_splatf(ab + c * arb);
            r[c] = _mm512_fmadd_ps(_mm512_mul_ps(d, da), _mm512_cvtepi32_ps(s[c]), r[c]);
        }
        if (kind == KIND_Q5_1) {
            __m512 m = _mm512_load_ps((const float *)(pb + gemm_block_m));
            for (int c = 0; c < cols; c++) r[c] = _mm512_fmadd_ps(m, gemm_splatf(ab + c * arb + 4), r[c]);
        }
    }
    for (int c = 0; c < cols; c++) _mm512_mask_storeu_ps(out + c * stride, keep, r[c]);
}

/// One tile of `cols` activation rows (constant) for either block size.
#define GEMM_TILE(cols)                                                                                            \
    do {                                                                                                           \
        if (is_super(kind)) {                                                                                      \
            gemm_super_tile(kind, cols, panel, act, arb, blocks, out, stride, keep);                               \
        } else {                                                                                                   \
            gemm_block_tile(kind, cols, panel, act, arb, starts ? starts + i * blocks : NULL, blocks, out, stride,  \
                            keep);                                                                                 \
        }                                                                                                          \
    } while (0)

/// Weight rows `row_begin..<row_end` against `count` (five or more) activation rows in the exact-block order,
/// sixteen weight rows (one panel) at a time. Called with constant `kind`.
GEMM GEMM_INLINE void exact_gemm(
    int kind, row_decoder decode, const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end,
    const uint8_t *activations, size_t arb, size_t count, size_t blocks, float *output, size_t stride) {
    const int super = is_super(kind);
    size_t n = blocks * (super ? 256 : 32);
    size_t record_bytes = blocks * (super ? sizeof(super_record) : sizeof(block_record));
    size_t row_stride = (n + record_bytes + 63) & ~(size_t)63;
    size_t panel_bytes = blocks * (super ? gemm_super_bytes : gemm_block_bytes);
    uint8_t *rows = aligned_alloc(64, gemm_rows * row_stride + panel_bytes);
    if (!rows) abort();
    uint8_t *panel = rows + gemm_rows * row_stride;
    int32_t *starts = NULL;
    if (!super && gemm_value_offset(kind)) {
        // Per activation row and block: -offset × the sum of its 32 values (taken back from the offset values).
        starts = malloc(count * blocks * sizeof(int32_t));
        if (!starts) abort();
        const int qoff = kind == KIND_Q5_1 ? 8 : 4;
        for (size_t i = 0; i < count; i++) {
            for (size_t b = 0; b < blocks; b++) {
                const int8_t *q = (const int8_t *)(activations + i * arb + b * q8_block + qoff);
                int32_t sum = 0;
                for (int j = 0; j < 32; j++) sum += q[j];
                starts[i * blocks + b] = -gemm_value_offset(kind) * sum;
            }
        }
    }
    for (size_t p0 = row_begin; p0 < row_end; p0 += gemm_rows) {
        size_t valid = row_end - p0 < gemm_rows ? row_end - p0 : gemm_rows;
        for (size_t l = 0; l < gemm_rows; l++) {
            uint8_t *slot = rows + l * row_stride;
            if (l < valid) {
                decode(weights + (p0 + l) * weight_row_bytes, blocks, (int8_t *)slot, slot + n);
            } else {
                memset(slot, 0, row_stride);  // zero rows: values and scales 0, results not stored
            }
        }
        gemm_build_panel(kind, rows, row_stride, n, blocks, panel);
        __mmask16 keep = (__mmask16)((1u << valid) - 1);
        size_t i = 0;
        for (; i + gemm_cols <= count; i += gemm_cols) {
            const uint8_t *act = activations + i * arb;
            float *out = output + i * stride + p0;
            GEMM_TILE(gemm_cols);
        }
        for (; i + 4 <= count; i += 4) {
            const uint8_t *act = activations + i * arb;
            float *out = output + i * stride + p0;
            GEMM_TILE(4);
        }
        for (; i + 2 <= count; i += 2) {
            const uint8_t *act = activations + i * arb;
            float *out = output + i * stride + p0;
            GEMM_TILE(2);
        }
        for (; i < count; i++) {
            const uint8_t *act = activations + i * arb;
            float *out = output + i * stride + p0;
            GEMM_TILE(1);
        }
    }
    free(starts);
    free(rows);
}

/// Defines `name`, the exact GEMM of `kind` with row decoder `decode` (the `BG_DECODED_KERNEL` signature).
#define EXACT_GEMM(name, kind, decode)                                                                             \
    GEMM static void name(                                                                                         \
        const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end,                         \
        const uint8_t *activations, size_t activation_row_bytes, size_t activation_count, size_t blocks,           \
        float *output, size_t output_stride) {                                                                     \
        exact_gemm(kind, decode, weights, weight_row_bytes, row_begin, row_end, activations, activation_row_bytes,  \
                   activation_count, blocks, output, output_stride);                                               \
    }

#endif

#endif
