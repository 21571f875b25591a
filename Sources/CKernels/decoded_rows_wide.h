// The AVX-512 tile of the decoded-row driver: two decoded weight rows side by side in one 512-bit register (row r in
// the low 256 bits, row r + 1 in the high), each activation block broadcast to both halves, so every instruction
// serves two (weight row, activation row) pairs. Each half does exactly what `pair_tile` does for its pair — the
// same exact integer lane sums (`vpdpbusd` sums four u8 × s8 products into an int32 lane with no int16 step, the
// value `maddubs` + `madd` by ones forms), the same float products and fused adds in the same order — so the
// results are bit for bit those of the AVX2 tile.
#ifndef BATCHGATE_DECODED_ROWS_WIDE_H
#define BATCHGATE_DECODED_ROWS_WIDE_H

#if defined(__x86_64__)

#define WIDE __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#define WIDE_INLINE __attribute__((always_inline)) static inline

/// The 256-bit values at `lo` and `hi` as the low and high halves of one register.
WIDE WIDE_INLINE __m512i pair_load(const void *lo, const void *hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)lo)),
                              _mm256_loadu_si256((const __m256i *)hi), 1);
}

/// `lo` in the low eight float lanes, `hi` in the high eight.
WIDE WIDE_INLINE __m512 pair_splat(float lo, float hi) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(lo)), _mm256_set1_ps(hi), 1);
}

/// How many activation rows a wide tile of `kind` takes at once: eight for the 32-value blocks, four for the
/// super-blocks (whose per-pair float state would not fit the registers eight times over).
KERNEL INLINE size_t wide_cols(int kind) { return is_super(kind) ? 4 : 8; }

/// Decoded weight rows `v0` / `r0` and `v1` / `r1` against `cols` (1..`wide_cols(kind)`) activation rows at `a`
/// (`arb` apart): pair (row 0, c) goes to `out[c * stride]`, pair (row 1, c) to `out[c * stride + 1]`. Not for
/// IQ4_NL (see `wide_supported`). Called with constant `kind` and `cols`.
WIDE WIDE_INLINE void pair_tile_wide(
    int kind, int cols, const int8_t *v0, const uint8_t *r0, const int8_t *v1, const uint8_t *r1, const uint8_t *a,
    size_t arb, size_t blocks, float *out, size_t stride) {
    __m512 acc[8];
    __m512 summ[8];
    // Super-blocks: Q4_K's minimum lanes and Q5_K's minimum sums (lanes 0 and 4), row 0 low, row 1 high.
    __m256 accm[4];
    for (int c = 0; c < cols; c++) {
        acc[c] = _mm512_setzero_ps();
        summ[c] = _mm512_setzero_ps();
    }
    for (int c = 0; c < cols && c < 4; c++) accm[c] = _mm256_setzero_ps();
    if (is_super(kind)) {
        for (size_t b = 0; b < blocks; b++) {
            const super_record *ra = (const super_record *)(r0 + b * sizeof(super_record));
            const super_record *rb = (const super_record *)(r1 + b * sizeof(super_record));
            __m512i sumi[4];
            if (cols > 4) __builtin_unreachable();
            for (int c = 0; c < cols; c++) sumi[c] = _mm512_setzero_si512();
            for (int k = 0; k < 8; k++) {
                __m512i wv = pair_load(v0 + 256 * b + 32 * k, v1 + 256 * b + 32 * k);
                __m512i wabs = _mm512_abs_epi8(wv);
                __m512i sc = _mm512_inserti64x4(
                    _mm512_castsi256_si512(scale_pair(ra->scales + 2 * k)), scale_pair(rb->scales + 2 * k), 1);
                __mmask64 neg = _mm512_movepi8_mask(wv);
                for (int c = 0; c < cols; c++) {
                    __m512i av = _mm512_broadcast_i64x4(
                        _mm256_loadu_si256((const __m256i *)(a + c * arb + b * q8k_block + 32 * k)));
                    __m512i p16;
                    if (is_unsigned(kind)) {
                        p16 = _mm512_maddubs_epi16(wv, av);
                    } else {
                        // sign(a, w): negate where w < 0 (where w == 0, |w| is zero anyway).
                        __m512i as = _mm512_mask_sub_epi8(av, neg, _mm512_setzero_si512(), av);
                        p16 = _mm512_maddubs_epi16(wabs, as);
                    }
                    // vpdpwssd: madd then add, exact (the int16 products of p16 and the scales fit easily).
                    sumi[c] = _mm512_dpwssd_epi32(sumi[c], p16, sc);
                }
            }
            // The per-block float steps of both rows at once, each lane with its own row's operands.
            __m512 d = pair_splat(ra->d, rb->d);
            __m512 dmin = pair_splat(ra->dmin, rb->dmin);
            __m512i scales = _mm512_setzero_si512(), mins = _mm512_setzero_si512();
            __m256i mins8 = _mm256_setzero_si256();
            __m256 dmin4 = _mm256_setr_m128(_mm_set1_ps(ra->dmin), _mm_set1_ps(rb->dmin));
            if (kind == KIND_Q6_K) scales = pair_load(ra->scales, rb->scales);
            if (kind == KIND_Q2_K) mins = pair_load(ra->mins, rb->mins);
            if (kind == KIND_Q4_K || kind == KIND_Q5_K) {
                mins8 = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)ra->mins)),
                                                _mm_loadu_si128((const __m128i *)rb->mins), 1);
            }
            for (int c = 0; c < cols; c++) {
                const uint8_t *ab = a + c * arb + b * q8k_block;
                float ad;
                memcpy(&ad, ab + q8k_scale, 4);
                __m512i si = sumi[c];
                if (kind == KIND_Q6_K) {
                    // ggml takes Q6_K's offset of 32 off per group: lane k loses 32 (s_2k sum_2k + s_2k+1 sum_2k+1).
                    __m512i sums = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(ab + q8k_sums)));
                    si = _mm512_sub_epi32(si, _mm512_slli_epi32(_mm512_madd_epi16(scales, sums), 5));
                }
                if (kind == KIND_Q2_K) {
                    __m512i sums = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(ab + q8k_sums)));
                    __m512 prod = _mm512_cvtepi32_ps(_mm512_madd_epi16(mins, sums));
                    acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(-ad), dmin), prod, acc[c]);
                }
                acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(ad), d), _mm512_cvtepi32_ps(si), acc[c]);
                if (kind == KIND_Q4_K || kind == KIND_Q5_K) {
                    __m128i q8s = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)(ab + q8k_sums)),
                                                 _mm_loadu_si128((const __m128i *)(ab + q8k_sums + 16)));
                    __m256i prod = _mm256_madd_epi16(mins8, _mm256_broadcastsi128_si256(q8s));
                    __m256 scale = _mm256_mul_ps(_mm256_set1_ps(-ad), dmin4);
                    if (kind == KIND_Q5_K) {
                        // Each row's four int32 lanes totalled into its lane 0 / lane 4.
                        prod = _mm256_add_epi32(prod, _mm256_unpackhi_epi64(prod, prod));
                        prod = _mm256_add_epi32(prod, _mm256_shuffle_epi32(prod, _MM_SHUFFLE(2, 3, 0, 1)));
                    }
                    accm[c] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(prod), accm[c]);
                }
            }
        }
        for (int c = 0; c < cols; c++) {
            __m256 lanes[2] = {_mm512_castps512_ps256(acc[c]),
                               _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[c]), 1))};
            __m128 m4[2] = {_mm256_castps256_ps128(accm[c]), _mm256_extractf128_ps(accm[c], 1)};
            for (int h = 0; h < 2; h++) {
                float sum = lane_sum(lanes[h]);
                if (kind == KIND_Q4_K) {
                    __m128 m = _mm_add_ps(m4[h], _mm_movehl_ps(m4[h], m4[h]));
                    m = _mm_add_ss(m, _mm_movehdup_ps(m));
                    sum += _mm_cvtss_f32(m);
                } else if (kind == KIND_Q5_K) {
                    sum += _mm_cvtss_f32(m4[h]);
                }
                out[c * stride + h] = sum;
            }
        }
        return;
    }
    const int qoff = kind == KIND_Q5_1 ? 8 : 4;
    const block_record *ra = (const block_record *)r0;
    const block_record *rb = (const block_record *)r1;
    for (size_t b = 0; b < blocks; b++) {
        __m512i wv = pair_load(v0 + 32 * b, v1 + 32 * b);
        __m512i wabs = _mm512_abs_epi8(wv);
        __mmask64 neg = _mm512_movepi8_mask(wv);
        __m512 dw = pair_splat(ra[b].d, rb[b].d);
        __m512 mw = pair_splat(ra[b].m, rb[b].m);
        for (int c = 0; c < cols; c++) {
            const uint8_t *ab = a + c * arb + b * q8_block;
            __m512i av = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(ab + qoff)));
            __m512i p;
            if (is_unsigned(kind)) {
                p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), wv, av);
            } else {
                __m512i as = _mm512_mask_sub_epi8(av, neg, _mm512_setzero_si512(), av);
                p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), wabs, as);
            }
            __m512 f = _mm512_cvtepi32_ps(p);
            float ad;
            memcpy(&ad, ab, 4);
            __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(ad));
            if (kind == KIND_Q5_1) {
                float as;
                memcpy(&as, ab + 4, 4);
                summ[c] = _mm512_fmadd_ps(mw, _mm512_set1_ps(as), summ[c]);
            }
            acc[c] = _mm512_fmadd_ps(scale, f, acc[c]);
        }
    }
    for (int c = 0; c < cols; c++) {
        __m256 lanes[2] = {_mm512_castps512_ps256(acc[c]),
                           _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[c]), 1))};
        float m[2] = {_mm512_cvtss_f32(summ[c]),
                      _mm_cvtss_f32(_mm512_extractf32x4_ps(summ[c], 2))};
        for (int h = 0; h < 2; h++) {
            float sum = lane_sum(lanes[h]);
            if (kind == KIND_Q5_1) sum += m[h];
            out[c * stride + h] = sum;
        }
    }
}

/// Whether `kind` has a wide tile (IQ4_NL's even/odd lanes and odd last block stay on the AVX2 tile).
WIDE_INLINE int wide_supported(int kind) { return kind != KIND_IQ4_NL; }

/// Decoded weight rows `v0` and `v1` (with their records) against `left` activation rows, four at a time.
typedef void (*wide_tile_fn)(
    const int8_t *v0, const uint8_t *r0, const int8_t *v1, const uint8_t *r1, const uint8_t *a, size_t arb,
    size_t cols, size_t blocks, float *out, size_t stride);

/// One case of `WIDE_TILE`: `cols` activation rows, if `kind` takes that many.
#define WIDE_CASE(kind, cols)                                                                                      \
    case cols:                                                                                                     \
        if (cols <= wide_cols(kind)) pair_tile_wide(kind, cols, v0, r0, v1, r1, a, arb, blocks, out, stride);     \
        break;

/// Defines `name`, the wide tile of `kind` for 1..`wide_cols(kind)` activation rows.
#define WIDE_TILE(name, kind)                                                                                      \
    WIDE static void name(                                                                                         \
        const int8_t *v0, const uint8_t *r0, const int8_t *v1, const uint8_t *r1, const uint8_t *a, size_t arb,   \
        size_t cols, size_t blocks, float *out, size_t stride) {                                                   \
        switch (cols) {                                                                                            \
            WIDE_CASE(kind, 1)                                                                                     \
            WIDE_CASE(kind, 2)                                                                                     \
            WIDE_CASE(kind, 3)                                                                                     \
            WIDE_CASE(kind, 4)                                                                                     \
            WIDE_CASE(kind, 5)                                                                                     \
            WIDE_CASE(kind, 6)                                                                                     \
            WIDE_CASE(kind, 7)                                                                                     \
            default:                                                                                               \
                if (8 <= wide_cols(kind)) pair_tile_wide(kind, 8, v0, r0, v1, r1, a, arb, blocks, out, stride);   \
        }                                                                                                          \
    }

#endif

#endif
