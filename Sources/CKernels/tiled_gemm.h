// The tiled-order kernels of the super-block kinds (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS; `tiled_order.h`): an
// AVX-512 VNNI GEMM and an AVX2 tile, whose results equal `tiled_pair_reference` (and so each other) bit for bit.
//
// AVX-512: sixteen weight rows are decoded (by the kinds' own decoders) and rearranged into a panel whose 64-byte
// vectors hold, lane by lane, one value of each of the sixteen rows: step k of a block is values 4k..4k+3 of every
// row, as unsigned bytes (signed kinds get an offset added, taken back exactly below). The activation rows stay as
// prepared: `vpdpbusd` multiplies a panel vector by four activation bytes broadcast from memory, so each int32 lane
// sums the products of one (weight row, activation row) pair. A tile is those sixteen weight rows × `cols`
// activation rows. Per block and pair the integers are formed exactly (int32 arithmetic, which wraps, is exact
// whenever the true sums fit, as they do):
//   - each scale group's sum T (a fresh accumulator) is multiplied by the row's group scale and added into S: by
//     `vpdpwssd` with the scale in the low half when T fits int16 (Q2_K, Q3_K, Q4_K), else `vpmulld` + `vpaddd`;
//   - the offsets come back as S -= offset × Σ_g scale_g × (activation sum of group g), by `vpdpwssd` of per-row
//     int16 pairs (-offset × scale) against the Q8_K block's int16 sums (Q6_K's own offset of 32 the same way);
//   - the minimums' M by `vpdpwssd` of the rows' minimum pairs against the same sums;
// then, lane by lane, res = d × float(S), res = fma(-dmin, float(M), res), r = fma(res, d_a, r).
//
// AVX2: one decoded row against up to four activation rows, the integer lanes formed as `pair_tile` forms them, then
// summed to S and M per block, and the same float steps.
#ifndef BATCHGATE_TILED_GEMM_H
#define BATCHGATE_TILED_GEMM_H

#if defined(__x86_64__)

#define GEMM __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#define GEMM_INLINE __attribute__((always_inline)) static inline

/// Weight rows per panel (the int32 lanes of one vector) and the widest tile in activation rows.
enum { gemm_rows = 16, gemm_cols = 8 };

/// Byte layout of one super-block of a panel: values (64 steps × 64), group scales (16 × 64), offset pairs (8 × 64),
/// minimum pairs (8 × 64), `d` and `-dmin` (16 floats each).
enum {
    gemm_scales = 4096,
    gemm_offsets = 5120,
    gemm_mins = 5632,
    gemm_d = 6144,
    gemm_ndmin = 6208,
    gemm_block_bytes = 6272,
};

/// What `kind`'s decoded values get added to become unsigned bytes.
GEMM_INLINE int gemm_value_offset(int kind) {
    return kind == KIND_Q3_K ? 4 : kind == KIND_IQ4_XS ? 128 : 0;
}

/// What is taken back per group as offset × scale × activation sum (Q6_K's own offset of 32 included).
GEMM_INLINE int gemm_group_offset(int kind) { return kind == KIND_Q6_K ? 32 : gemm_value_offset(kind); }

/// Values per scale group: 32 where both 16-value halves share a scale and `vpmulld` applies it, otherwise 16.
GEMM_INLINE int gemm_group_values(int kind) { return kind == KIND_Q5_K || kind == KIND_IQ4_XS ? 32 : 16; }

/// Whether a 16-value group's sum fits int16 (unsigned values below 16 times |a| <= 128, 16 of them), so one
/// `vpdpwssd` applies the scale.
GEMM_INLINE int gemm_scale_by_words(int kind) {
    return kind == KIND_Q2_K || kind == KIND_Q3_K || kind == KIND_Q4_K;
}

/// Whether `kind` has minimums (the M term).
GEMM_INLINE int gemm_has_mins(int kind) { return kind == KIND_Q2_K || kind == KIND_Q4_K || kind == KIND_Q5_K; }

/// Two int16 in one int32 lane (`lo` in the low half).
GEMM_INLINE int32_t gemm_pair(int lo, int hi) {
    return (int32_t)((uint32_t)(uint16_t)lo | (uint32_t)(uint16_t)hi << 16);
}

/// Four bytes at `p` broadcast to every int32 lane.
GEMM GEMM_INLINE __m512i gemm_splat4(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

/// The float at `p` broadcast to every lane.
GEMM GEMM_INLINE __m512 gemm_splatf(const uint8_t *p) {
    float v;
    memcpy(&v, p, 4);
    return _mm512_set1_ps(v);
}

/// Transposes 16 × 16 dwords in place: afterwards `x[j]` holds dword j of each of the 16 inputs, input l in lane l.
GEMM GEMM_INLINE void gemm_transpose16(__m512i x[16]) {
    __m512i t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_epi32(x[2 * i], x[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(x[2 * i], x[2 * i + 1]);
    }
    // u[4q + m]: column m (of each 128-bit lane) of inputs 4q..4q+3.
    for (int q = 0; q < 4; q++) {
        u[4 * q] = _mm512_unpacklo_epi64(t[4 * q], t[4 * q + 2]);
        u[4 * q + 1] = _mm512_unpackhi_epi64(t[4 * q], t[4 * q + 2]);
        u[4 * q + 2] = _mm512_unpacklo_epi64(t[4 * q + 1], t[4 * q + 3]);
        u[4 * q + 3] = _mm512_unpackhi_epi64(t[4 * q + 1], t[4 * q + 3]);
    }
    for (int m = 0; m < 4; m++) {
        __m512i v0 = _mm512_shuffle_i32x4(u[m], u[4 + m], 0x88), v1 = _mm512_shuffle_i32x4(u[m], u[4 + m], 0xdd);
        __m512i v2 = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0x88);
        __m512i v3 = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0xdd);
        x[m] = _mm512_shuffle_i32x4(v0, v2, 0x88);
        x[m + 8] = _mm512_shuffle_i32x4(v0, v2, 0xdd);
        x[m + 4] = _mm512_shuffle_i32x4(v1, v3, 0x88);
        x[m + 12] = _mm512_shuffle_i32x4(v1, v3, 0xdd);
    }
}

/// The low int16 of each lane of `p`, sign-extended (`word` clear) or as (value, 0) for `vpdpwssd` (`word` set).
GEMM GEMM_INLINE __m512i gemm_low_word(__m512i p, int word) {
    return word ? _mm512_and_si512(p, _mm512_set1_epi32(0xffff)) : _mm512_srai_epi32(_mm512_slli_epi32(p, 16), 16);
}

/// The high int16 of each lane of `p`, as `gemm_low_word` gives the low one.
GEMM GEMM_INLINE __m512i gemm_high_word(__m512i p, int word) {
    return word ? _mm512_srli_epi32(p, 16) : _mm512_srai_epi32(p, 16);
}

/// Rearranges 16 decoded rows (row l at `rows + l * row_stride`: `blocks` × 256 values, then the records) into
/// `panel`, by 16 × 16 dword transposes of the values and of the records.
GEMM GEMM_INLINE void gemm_build_panel(
    int kind, const uint8_t *rows, size_t row_stride, size_t blocks, uint8_t *panel) {
    size_t n = 256 * blocks;
    const __m512i add = _mm512_set1_epi8((char)gemm_value_offset(kind));
    const int word = gemm_scale_by_words(kind);
    const __m512i neg_off = _mm512_set1_epi16((short)-gemm_group_offset(kind));
    for (size_t b = 0; b < blocks; b++) {
        uint8_t *pb = panel + b * gemm_block_bytes;
        for (int q = 0; q < 4; q++) {
            __m512i x[16];
            for (int l = 0; l < 16; l++) {
                x[l] = _mm512_load_si512((const __m512i *)(rows + l * row_stride + 256 * b + 64 * q));
            }
            gemm_transpose16(x);
            for (int j = 0; j < 16; j++) {
                _mm512_store_si512((__m512i *)(pb + 64 * (16 * q + j)), _mm512_add_epi8(x[j], add));
            }
        }
        // Record dwords: 0 d, 1 dmin, 2..9 scale pairs (2j, 2j+1), 10..15 minimum pairs (0, 1) … (10, 11).
        __m512i x[16];
        for (int l = 0; l < 16; l++) {
            x[l] = _mm512_loadu_si512((const void *)(rows + l * row_stride + n + b * sizeof(super_record)));
        }
        gemm_transpose16(x);
        __m512i *scales = (__m512i *)(pb + gemm_scales);
        for (int j = 0; j < 8; j++) {
            __m512i pair = x[2 + j];
            if (gemm_group_values(kind) == 32) {
                scales[j] = gemm_low_word(pair, word);
            } else {
                scales[2 * j] = gemm_low_word(pair, word);
                scales[2 * j + 1] = gemm_high_word(pair, word);
            }
            ((__m512i *)(pb + gemm_offsets))[j] = _mm512_mullo_epi16(pair, neg_off);
        }
        if (gemm_has_mins(kind)) {
            __m512i *mins = (__m512i *)(pb + gemm_mins);
            if (kind == KIND_Q2_K) {
                const __m512i lane = _mm512_mullo_epi32(
                    _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                    _mm512_set1_epi32((int)row_stride));
                const uint8_t *tail = rows + n + b * sizeof(super_record) + 64;
                for (int j = 0; j < 6; j++) mins[j] = x[10 + j];
                for (int j = 6; j < 8; j++) mins[j] = _mm512_i32gather_epi32(lane, tail + 4 * (j - 6), 1);
            } else {
                // (m_j, m_j) from the pairs (m_2k, m_2k+1), k < 4.
                for (int k = 0; k < 4; k++) {
                    __m512i pair = x[10 + k];
                    __m512i lo = _mm512_and_si512(pair, _mm512_set1_epi32(0xffff));
                    __m512i hi = _mm512_srli_epi32(pair, 16);
                    mins[2 * k] = _mm512_or_si512(lo, _mm512_slli_epi32(lo, 16));
                    mins[2 * k + 1] = _mm512_or_si512(hi, _mm512_slli_epi32(hi, 16));
                }
            }
        }
        _mm512_store_si512((__m512i *)(pb + gemm_d), x[0]);
        _mm512_store_si512((__m512i *)(pb + gemm_ndmin), _mm512_xor_si512(x[1], _mm512_set1_epi32((int)0x80000000u)));
    }
}

/// A panel against `cols` activation rows at `a` (`arb` apart): pair (lane l, c) goes to `out[c * stride + l]` for
/// the lanes in `keep`. Called with constant `kind` and `cols`.
GEMM GEMM_INLINE void gemm_tile(
    int kind, int cols, const uint8_t *panel, const uint8_t *a, size_t arb, size_t blocks, float *out, size_t stride,
    __mmask16 keep) {
    const int group = gemm_group_values(kind) / 4;  // steps per group
    __m512 r[gemm_cols];
    for (int c = 0; c < cols; c++) r[c] = _mm512_setzero_ps();
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *pb = panel + b * gemm_block_bytes;
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
            __m512i scale = _mm512_load_si512((const __m512i *)(pb + gemm_scales + 64 * g));
            for (int c = 0; c < cols; c++) {
                s[c] = gemm_scale_by_words(kind) ? _mm512_dpwssd_epi32(s[c], t[c], scale)
                                                 : _mm512_add_epi32(s[c], _mm512_mullo_epi32(t[c], scale));
            }
        }
        if (gemm_group_offset(kind)) {
            for (int j = 0; j < 8; j++) {
                __m512i o = _mm512_load_si512((const __m512i *)(pb + gemm_offsets + 64 * j));
                for (int c = 0; c < cols; c++) {
                    s[c] = _mm512_dpwssd_epi32(s[c], o, gemm_splat4(ab + c * arb + q8k_sums + 4 * j));
                }
            }
        }
        __m512 d = _mm512_load_ps((const float *)(pb + gemm_d));
        __m512 res[gemm_cols];
        for (int c = 0; c < cols; c++) res[c] = _mm512_mul_ps(d, _mm512_cvtepi32_ps(s[c]));
        if (gemm_has_mins(kind)) {
            __m512i m[gemm_cols];
            for (int c = 0; c < cols; c++) m[c] = _mm512_setzero_si512();
            for (int j = 0; j < 8; j++) {
                __m512i mv = _mm512_load_si512((const __m512i *)(pb + gemm_mins + 64 * j));
                for (int c = 0; c < cols; c++) {
                    m[c] = _mm512_dpwssd_epi32(m[c], mv, gemm_splat4(ab + c * arb + q8k_sums + 4 * j));
                }
            }
            __m512 ndmin = _mm512_load_ps((const float *)(pb + gemm_ndmin));
            for (int c = 0; c < cols; c++) res[c] = _mm512_fmadd_ps(ndmin, _mm512_cvtepi32_ps(m[c]), res[c]);
        }
        for (int c = 0; c < cols; c++) r[c] = _mm512_fmadd_ps(res[c], gemm_splatf(ab + c * arb + q8k_scale), r[c]);
    }
    for (int c = 0; c < cols; c++) _mm512_mask_storeu_ps(out + c * stride, keep, r[c]);
}

/// Weight rows `row_begin..<row_end` against `count` activation rows in the tiled order with AVX-512 VNNI,
/// sixteen weight rows (one panel) at a time. Called with constant `kind`.
GEMM GEMM_INLINE void tiled_gemm(
    int kind, row_decoder decode, const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end,
    const uint8_t *activations, size_t arb, size_t count, size_t blocks, float *output, size_t stride) {
    size_t n = 256 * blocks;
    size_t row_stride = (n + blocks * sizeof(super_record) + 63) & ~(size_t)63;
    uint8_t *rows = aligned_alloc(64, gemm_rows * row_stride + blocks * gemm_block_bytes);
    if (!rows) abort();
    uint8_t *panel = rows + gemm_rows * row_stride;
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
        gemm_build_panel(kind, rows, row_stride, blocks, panel);
        __mmask16 keep = (__mmask16)((1u << valid) - 1);
        size_t i = 0;
        for (; i + gemm_cols <= count; i += gemm_cols) {
            gemm_tile(kind, gemm_cols, panel, activations + i * arb, arb, blocks, output + i * stride + p0, stride,
                      keep);
        }
        if (i + 4 <= count) {
            gemm_tile(kind, 4, panel, activations + i * arb, arb, blocks, output + i * stride + p0, stride, keep);
            i += 4;
        }
        if (i + 2 <= count) {
            gemm_tile(kind, 2, panel, activations + i * arb, arb, blocks, output + i * stride + p0, stride, keep);
            i += 2;
        }
        if (i < count) {
            gemm_tile(kind, 1, panel, activations + i * arb, arb, blocks, output + i * stride + p0, stride, keep);
        }
    }
    free(rows);
}

/// The eight int32 lanes of `x` added (exact).
KERNEL INLINE int32_t hsum_i32x8(__m256i x) {
    return hsum_i32x4(_mm_add_epi32(_mm256_castsi256_si128(x), _mm256_extracti128_si256(x, 1)));
}

/// One decoded row (`values`, `records`) against `cols` (1..4) activation rows at `a` (`arb` apart) in the tiled
/// order with AVX2: pair c goes to `out[c * stride]`. The integer lanes are `pair_tile`'s (exact), summed per block.
/// Called with constant `kind` and `cols`.
KERNEL INLINE void tiled_pair_tile(
    int kind, int cols, const int8_t *values, const uint8_t *records, const uint8_t *a, size_t arb, size_t blocks,
    float *out, size_t stride) {
    __m128 r[4];
    for (int c = 0; c < cols; c++) r[c] = _mm_setzero_ps();
    for (size_t b = 0; b < blocks; b++) {
        const super_record *rec = (const super_record *)(records + b * sizeof(super_record));
        const int8_t *w = values + 256 * b;
        __m256i sumi[4];
        super_block_lanes(kind, cols, w, rec, a + b * q8k_block, arb, sumi);
        for (int c = 0; c < cols; c++) {
            const uint8_t *ab = a + c * arb + b * q8k_block;
            __m256i sums = _mm256_loadu_si256((const __m256i *)(ab + q8k_sums));
            if (kind == KIND_Q6_K) {
                __m256i prod = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)rec->scales), sums);
                sumi[c] = _mm256_sub_epi32(sumi[c], _mm256_slli_epi32(prod, 5));
            }
            __m128 res = _mm_mul_ss(_mm_set_ss(rec->d), _mm_set_ss((float)hsum_i32x8(sumi[c])));
            if (gemm_has_mins(kind)) {
                int32_t m;
                if (kind == KIND_Q2_K) {
                    m = hsum_i32x8(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)rec->mins), sums));
                } else {
                    __m128i q8s = _mm_hadd_epi16(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
                    m = hsum_i32x4(_mm_madd_epi16(_mm_loadu_si128((const __m128i *)rec->mins), q8s));
                }
                res = _mm_fmadd_ss(_mm_set_ss(-rec->dmin), _mm_set_ss((float)m), res);
            }
            float da;
            memcpy(&da, ab + q8k_scale, 4);
            r[c] = _mm_fmadd_ss(res, _mm_set_ss(da), r[c]);
        }
    }
    for (int c = 0; c < cols; c++) out[c * stride] = _mm_cvtss_f32(r[c]);
}

/// Weight rows `row_begin..<row_end` against every activation row in the tiled order with AVX2: each row decoded
/// once (it stays in L1) and met by the activation rows four at a time.
KERNEL INLINE void tiled_rows(
    int kind, row_decoder decode, const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end,
    const uint8_t *activations, size_t arb, size_t count, size_t blocks, float *output, size_t stride) {
    size_t n = 256 * blocks;
    uint8_t *slot = aligned_alloc(64, (n + blocks * sizeof(super_record) + 63) & ~(size_t)63);
    if (!slot) abort();
    for (size_t r = row_begin; r < row_end; r++) {
        decode(weights + r * weight_row_bytes, blocks, (int8_t *)slot, slot + n);
        const int8_t *v = (const int8_t *)slot;
        for (size_t i = 0; i < count; i += 4) {
            size_t take = count - i < 4 ? count - i : 4;
            const uint8_t *ai = activations + i * arb;
            float *out = output + i * stride + r;
            if (take == 4) {
                tiled_pair_tile(kind, 4, v, slot + n, ai, arb, blocks, out, stride);
            } else if (take == 3) {
                tiled_pair_tile(kind, 3, v, slot + n, ai, arb, blocks, out, stride);
            } else if (take == 2) {
                tiled_pair_tile(kind, 2, v, slot + n, ai, arb, blocks, out, stride);
            } else {
                tiled_pair_tile(kind, 1, v, slot + n, ai, arb, blocks, out, stride);
            }
        }
    }
    free(slot);
}

/// Defines the exported tiled-order kernels of super-block `kind` (row decoder `decode`): `name_tiled_avx512` (the
/// AVX-512 GEMM), `name_tiled_avx2` (the AVX2 tiles) and `name_tiled`, which runs the one `bg_kernel_variant()` says.
#define TILED_KERNEL(name, kind, decode)                                                                           \
    GEMM void name##_tiled_avx512(                                                                                 \
        const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end,                         \
        const uint8_t *activations, size_t activation_row_bytes, size_t activation_count, size_t blocks,           \
        float *output, size_t output_stride) {                                                                     \
        if (row_begin >= row_end || activation_count == 0) return;                                                 \
        tiled_gemm(kind, decode, weights, weight_row_bytes, row_begin, row_end, activations, activation_row_bytes, \
                   activation_count, blocks, output, output_stride);                                               \
    }                                                                                                              \
    KERNEL void name##_tiled_avx2(                                                                                 \
        const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end,                         \
        const uint8_t *activations, size_t activation_row_bytes, size_t activation_count, size_t blocks,           \
        float *output, size_t output_stride) {                                                                     \
        tiled_rows(kind, decode, weights, weight_row_bytes, row_begin, row_end, activations, activation_row_bytes, \
                   activation_count, blocks, output, output_stride);                                               \
    }                                                                                                              \
    KERNEL void name##_tiled(                                                                                      \
        const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end,                         \
        const uint8_t *activations, size_t activation_row_bytes, size_t activation_count, size_t blocks,           \
        float *output, size_t output_stride) {                                                                     \
        (bg_kernel_variant() == BG_VARIANT_AVX512 ? name##_tiled_avx512 : name##_tiled_avx2)(                      \
            weights, weight_row_bytes, row_begin, row_end, activations, activation_row_bytes, activation_count,    \
            blocks, output, output_stride);                                                                        \
    }

#endif

#endif
