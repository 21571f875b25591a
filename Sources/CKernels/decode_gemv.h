// The AVX-512 decode kernels (one to four activation rows) of the decoded-row kinds, bit for bit ggml's AVX2 order
// (`pair_tile`), with the decoding fused into the products.
//
// `pair_tile` forms, per block and pair, eight exact int32 lanes (lane l: products 4l..4l+3 of every 32 values,
// times their group scales), converts them and fuses them into eight float lanes. Here each weight block is read as
// GGUF stores it and unpacked in registers into unsigned bytes u; `vpdpbusd` (or `vpmaddubsw` + `vpdpwssd`, which
// applies the group scales, for the small unsigned values of the K-quants) forms the same int32 lanes, with the
// kinds whose values are signed shifted by a fixed offset (8 for Q4_0, 16 for Q5_0, 128 for IQ4_NL and IQ4_XS, 4 for
// Q3_K) that comes back off exactly through the activations' per-lane sums, prepared once per call. A super-block
// register holds 64 values (two 32-value chunks), whose halves fold into the eight lanes; two weight rows share one
// 512-bit float accumulator (row A in the low eight lanes, row B in the high), and two such pairs are in flight, so
// every float step is `pair_tile`'s, in its order, for two (super-blocks) or six rows at once. Each block's next
// rows are prefetched while it is read.
#ifndef BATCHGATE_DECODE_GEMV_H
#define BATCHGATE_DECODE_GEMV_H

#if defined(__x86_64__)

#define GEMV __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#define GEMV_INLINE __attribute__((always_inline)) static inline

/// Row pairs in flight in the 32-value kinds' loop (the last rows of a range repeat the range's last row and drop
/// those results).
enum { gemv_pairs = 3 };

/// The stored bytes of one block of `kind`.
KERNEL INLINE size_t gemv_block_bytes(int kind) {
    switch (kind) {
    case KIND_Q4_0: case KIND_IQ4_NL: return 18;
    case KIND_Q5_0: return 22;
    case KIND_Q5_1: return 24;
    case KIND_Q2_K: return 84;
    case KIND_Q3_K: return 110;
    case KIND_Q4_K: return 144;
    case KIND_Q5_K: return 176;
    case KIND_Q6_K: return 210;
    default: return 136;
    }
}

/// The offset that makes the weight values of `kind` unsigned bytes (0: they are).
KERNEL INLINE int gemv_offset(int kind) {
    switch (kind) {
    case KIND_Q4_0: return 8;
    case KIND_Q5_0: return 16;
    case KIND_IQ4_NL: case KIND_IQ4_XS: return 128;
    case KIND_Q3_K: return 4;
    default: return 0;
    }
}

/// Byte offset of a block's F16 `d` (`dmin`, where there is one, follows it).
KERNEL INLINE int gemv_d_at(int kind) {
    switch (kind) {
    case KIND_Q2_K: return 80;
    case KIND_Q3_K: return 108;
    case KIND_Q6_K: return 208;
    default: return 0;
    }
}

/// What the loops read of one activation row, prepared once per call: the scales (`d`, padded with zeros to a
/// multiple of 16 blocks), for the 32-value kinds each block's 32 int8 twice over (one copy per row of a pair), the
/// negated offset times each lane's activation sum (twice over) and Q5_1's scaled sums; for the super-blocks the
/// Q8_K row itself and per block 256 bytes of kind-specific sums (`gemv_prepare`).
typedef struct {
    const uint8_t *raw;
    int8_t *q;
    int32_t *correction;
    float *d, *s;
    uint8_t *extra;
} gemv_act;

/// The bytes `gemv_prepare` needs per activation row of `blocks` blocks.
KERNEL INLINE size_t gemv_act_bytes(int kind, size_t blocks) {
    size_t padded = (blocks + 15) & ~(size_t)15;
    if (is_super(kind)) return padded * 4 + blocks * 256;
    return blocks * (64 + 64) + padded * 8;
}

/// Prepares activation row `a` of `blocks` blocks for `kind` in `mem` (64-byte aligned, `gemv_act_bytes` long).
KERNEL INLINE void gemv_prepare(int kind, const uint8_t *a, size_t blocks, uint8_t *mem, gemv_act *p) {
    size_t padded = (blocks + 15) & ~(size_t)15;
    const int offset = gemv_offset(kind);
    memset(mem, 0, gemv_act_bytes(kind, blocks));
    p->raw = a;
    if (is_super(kind)) {
        p->d = (float *)mem;
        p->extra = mem + padded * 4;
        p->q = NULL;
        p->correction = NULL;
        p->s = NULL;
        for (size_t b = 0; b < blocks; b++) {
            const uint8_t *ab = a + b * q8k_block;
            const int8_t *q = (const int8_t *)ab;
            int16_t sums[16];
            memcpy(sums, ab + q8k_sums, 32);
            memcpy(&p->d[b], ab + q8k_scale, 4);
            uint8_t *e = p->extra + 256 * b;
            if (kind == KIND_Q3_K) {
                // Per int16 pair: -4 × (a_2w + a_2w+1), which vpdpwssd scales like the products' pairs.
                int16_t *w = (int16_t *)e;
                for (int j = 0; j < 128; j++) w[j] = (int16_t)(-offset * (q[2 * j] + q[2 * j + 1]));
            } else if (kind == KIND_IQ4_XS) {
                // Per int32 lane: -128 × the sum of its four activations.
                int32_t *w = (int32_t *)e;
                for (int j = 0; j < 64; j++) w[j] = -offset * (q[4 * j] + q[4 * j + 1] + q[4 * j + 2] + q[4 * j + 3]);
            } else if (kind == KIND_Q2_K || kind == KIND_Q6_K) {
                // The 16 group sums twice over (one copy per row of a pair).
                memcpy(e, sums, 32);
                memcpy(e + 32, sums, 32);
            } else {
                // Q4_K / Q5_K: the eight 32-value sums (`_mm_hadd_epi16` of the group sums), twice over.
                int16_t s8[8];
                for (int j = 0; j < 8; j++) s8[j] = (int16_t)(sums[2 * j] + sums[2 * j + 1]);
                memcpy(e, s8, 16);
                memcpy(e + 16, s8, 16);
            }
        }
        return;
    }
    p->q = (int8_t *)mem;
    p->correction = (int32_t *)(mem + 64 * blocks);
    p->d = (float *)(mem + 128 * blocks);
    p->s = p->d + padded;
    p->extra = NULL;
    const int qoff = kind == KIND_Q5_1 ? 8 : 4;
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *ab = a + b * q8_block;
        const int8_t *q = (const int8_t *)(ab + qoff);
        memcpy(p->q + 64 * b, q, 32);
        memcpy(p->q + 64 * b + 32, q, 32);
        for (int l = 0; l < 8; l++) {
            int32_t c = -offset * (q[4 * l] + q[4 * l + 1] + q[4 * l + 2] + q[4 * l + 3]);
            p->correction[16 * b + l] = p->correction[16 * b + 8 + l] = c;
        }
        memcpy(&p->d[b], ab, 4);
        if (kind == KIND_Q5_1) memcpy(&p->s[b], ab + 4, 4);
    }
}

/// The F16 at byte `at` of each of the `count` (≤ 16) blocks `stride` bytes apart from `p`, widened to float
/// (zero past `count`). Each dword gathered holds the half and stays inside its block.
GEMV GEMV_INLINE __m512 halves_at(const uint8_t *p, size_t stride, int at, int count) {
    const __m512i step = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __mmask16 live = (__mmask16)((1u << count) - 1);
    int start = at >= 2 ? at - 2 : at;
    __m512i idx = _mm512_add_epi32(_mm512_mullo_epi32(step, _mm512_set1_epi32((int)stride)), _mm512_set1_epi32(start));
    __m512i g = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), live, idx, p, 1);
    if (at >= 2) g = _mm512_srli_epi32(g, 16);
    return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g));
}

/// `lo` in the low eight float lanes, `hi` in the high eight.
GEMV GEMV_INLINE __m512 splat_pair(float lo, float hi) {
    return _mm512_insertf32x8(_mm512_set1_ps(lo), _mm256_set1_ps(hi), 1);
}

/// The bytes of `bits` whose selected bit (bit `lo` in the low 256 bits, `hi` in the high) is set.
GEMV GEMV_INLINE __mmask64 bit_mask(__m512i bits, int lo, int hi) {
    __m512i sel = _mm512_inserti64x4(_mm512_set1_epi8((char)(1 << lo)), _mm256_set1_epi8((char)(1 << hi)), 1);
    return _mm512_test_epi8_mask(bits, sel);
}

/// The 16 bytes at `p` in the low 256 bits and those at `q` in the high, each as 32 values in element order (low
/// nibbles, then high nibbles).
GEMV GEMV_INLINE __m512i nibble_pair(const uint8_t *p, const uint8_t *q) {
    const __m512i shifts = _mm512_setr_epi64(0, 0, 0x0004000400040004LL, 0x0004000400040004LL, 0, 0,
                                             0x0004000400040004LL, 0x0004000400040004LL);
    __m512i x = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)p));
    x = _mm512_mask_broadcast_i32x4(x, 0xff00, _mm_loadu_si128((const __m128i *)q));
    return _mm512_and_si512(_mm512_srlv_epi16(x, shifts), _mm512_set1_epi8(0x0f));
}

/// One super-block `blk` of `kind` unpacked: `u[z]` holds values 64z..64z+63 (element order) as unsigned bytes;
/// `sw[z]` the group scale of each int16 pair of those values (int16; IQ4_XS: of each int32 lane, int32); `pair16`
/// Q2_K's minimums or Q6_K's scales (16 int16); `mins8` Q4_K / Q5_K's eight minimums (int16).
GEMV GEMV_INLINE void super_unpack(
    int kind, const uint8_t *blk, __m512i u[4], __m512i sw[4], __m256i *pair16, __m128i *mins8) {
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    // Byte t of the 32 of register z: the scale of group 4z + t/8 (values 64z + 2t, +1 when scaled in pairs).
    if (kind == KIND_Q4_K || kind == KIND_Q5_K) {
        uint32_t a0, a1, a2;
        memcpy(&a0, blk + 4, 4);
        memcpy(&a1, blk + 8, 4);
        memcpy(&a2, blk + 12, 4);
        const uint32_t m1 = 0x3f3f3f3f, m2 = 0x0f0f0f0f, m3 = 0x03030303;
        uint32_t s0 = a0 & m1, s1 = (a2 & m2) | (((a0 >> 6) & m3) << 4);
        uint32_t n0 = a1 & m1, n1 = ((a2 >> 4) & m2) | (((a1 >> 6) & m3) << 4);
        __m128i sm = _mm_setr_epi32((int)s0, (int)s1, (int)n0, (int)n1);
        *mins8 = _mm_cvtepu8_epi16(_mm_unpackhi_epi64(sm, sm));
        __m256i both = _mm256_broadcastsi128_si256(sm);
        const uint8_t *qs = blk + (kind == KIND_Q4_K ? 16 : 48);
        __m512i qh = _mm512_setzero_si512();
        if (kind == KIND_Q5_K) qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(blk + 16)));
        const __m512i shifts = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
        for (int z = 0; z < 4; z++) {
            // Chunk z's 32 bytes: low nibbles are values 64z.., high nibbles 64z + 32...
            __m512i x = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(qs + 32 * z)));
            u[z] = _mm512_and_si512(_mm512_srlv_epi16(x, shifts), low4);
            if (kind == KIND_Q5_K) {
                u[z] = _mm512_mask_add_epi8(u[z], bit_mask(qh, 2 * z, 2 * z + 1), u[z], _mm512_set1_epi8(16));
            }
            __m256i idx = _mm256_setr_epi64x(0x0101010101010101LL * (uint64_t)(2 * z), 0x0101010101010101LL * (uint64_t)(2 * z),
                                             0x0101010101010101LL * (uint64_t)(2 * z + 1),
                                             0x0101010101010101LL * (uint64_t)(2 * z + 1));
            sw[z] = _mm512_cvtepu8_epi16(_mm256_shuffle_epi8(both, idx));
        }
    } else if (kind == KIND_Q6_K) {
        __m128i sc = _mm_loadu_si128((const __m128i *)(blk + 192));
        *pair16 = _mm256_cvtepi8_epi16(sc);
        __m256i both = _mm256_broadcastsi128_si256(sc);
        const __m512i high2 = _mm512_set1_epi8(0x30);
        const __m512i left = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
        const __m512i right = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
        for (int h = 0; h < 2; h++) {
            __m512i x = _mm512_loadu_si512(blk + 64 * h);
            __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(blk + 128 + 32 * h)));
            u[2 * h] = _mm512_or_si512(_mm512_and_si512(x, low4), _mm512_and_si512(_mm512_sllv_epi16(qh, left), high2));
            u[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(x, 4), low4),
                                           _mm512_and_si512(_mm512_srlv_epi16(qh, right), high2));
        }
        for (int z = 0; z < 4; z++) {
            __m256i idx = _mm256_setr_epi64x(0x0101010101010101LL * (uint64_t)(4 * z), 0x0101010101010101LL * (uint64_t)(4 * z + 1),
                                             0x0101010101010101LL * (uint64_t)(4 * z + 2),
                                             0x0101010101010101LL * (uint64_t)(4 * z + 3));
            sw[z] = _mm512_cvtepi8_epi16(_mm256_shuffle_epi8(both, idx));
        }
    } else if (kind == KIND_Q2_K || kind == KIND_Q3_K) {
        __m128i sc;
        if (kind == KIND_Q2_K) {
            __m128i packed = _mm_loadu_si128((const __m128i *)blk);
            const __m128i low = _mm_set1_epi8(0x0f);
            sc = _mm_and_si128(packed, low);
            *pair16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), low));
        } else {
            uint32_t a0, a1, a2;
            memcpy(&a0, blk + 96, 4);
            memcpy(&a1, blk + 100, 4);
            memcpy(&a2, blk + 104, 4);
            const uint32_t m1 = 0x03030303, m2 = 0x0f0f0f0f;
            uint32_t r0 = (a0 & m2) | ((a2 & m1) << 4);
            uint32_t r1 = (a1 & m2) | (((a2 >> 2) & m1) << 4);
            uint32_t r2 = ((a0 >> 4) & m2) | (((a2 >> 4) & m1) << 4);
            uint32_t r3 = ((a1 >> 4) & m2) | (((a2 >> 6) & m1) << 4);
            sc = _mm_sub_epi8(_mm_setr_epi32((int)r0, (int)r1, (int)r2, (int)r3), _mm_set1_epi8(32));
        }
        __m256i both = _mm256_broadcastsi128_si256(sc);
        const uint8_t *qs = blk + (kind == KIND_Q2_K ? 16 : 32);
        __m512i hm = _mm512_setzero_si512();
        if (kind == KIND_Q3_K) hm = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)blk));
        for (int z = 0; z < 4; z++) {
            // Values 128h + 32k + l are bits 2k.. of qs[32h + l]: register z is h = z / 2, k = 2(z % 2) and + 1.
            int h = z >> 1, k = 2 * (z & 1);
            __m512i x = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(qs + 32 * h)));
            const __m512i shifts = _mm512_inserti64x4(_mm512_set1_epi16((short)(2 * k)), _mm256_set1_epi16((short)(2 * k + 2)), 1);
            u[z] = _mm512_and_si512(_mm512_srlv_epi16(x, shifts), _mm512_set1_epi8(3));
            if (kind == KIND_Q3_K) {
                u[z] = _mm512_mask_add_epi8(u[z], bit_mask(hm, 4 * h + k, 4 * h + k + 1), u[z], _mm512_set1_epi8(4));
            }
            __m256i idx = _mm256_setr_epi64x(0x0101010101010101LL * (uint64_t)(4 * z), 0x0101010101010101LL * (uint64_t)(4 * z + 1),
                                             0x0101010101010101LL * (uint64_t)(4 * z + 2),
                                             0x0101010101010101LL * (uint64_t)(4 * z + 3));
            sw[z] = _mm512_cvtepi8_epi16(_mm256_shuffle_epi8(both, idx));
        }
    } else { // IQ4_XS
        const __m512i table = _mm512_broadcast_i32x4(
            _mm_add_epi8(_mm_loadu_si128((const __m128i *)iq4_values), _mm_set1_epi8((char)128)));
        uint16_t sh;
        uint32_t sl;
        memcpy(&sh, blk + 2, 2);
        memcpy(&sl, blk + 4, 4);
        // Scale ib: nibble ib of the four bytes, bits 2ib..2ib+1 of `sh` above it, minus 32.
        __m128i lb = _mm_cvtsi32_si128((int)sl);
        const __m128i low = _mm_set1_epi8(0x0f);
        __m128i nib = _mm_unpacklo_epi8(_mm_and_si128(lb, low), _mm_and_si128(_mm_srli_epi16(lb, 4), low));
        __m128i hw = _mm_srlv_epi16(_mm_set1_epi16((short)sh), _mm_setr_epi16(0, 2, 4, 6, 8, 10, 12, 14));
        hw = _mm_slli_epi16(_mm_and_si128(hw, _mm_set1_epi16(3)), 4);
        __m128i sc = _mm_sub_epi8(_mm_or_si128(nib, _mm_packus_epi16(hw, hw)), _mm_set1_epi8(32));
        for (int z = 0; z < 4; z++) {
            u[z] = _mm512_shuffle_epi8(table, nibble_pair(blk + 8 + 32 * z, blk + 24 + 32 * z));
            __m128i idx = _mm_set_epi64x((long long)(0x0101010101010101ULL * (uint64_t)(2 * z + 1)), (long long)(0x0101010101010101ULL * (uint64_t)(2 * z)));
            sw[z] = _mm512_cvtepi8_epi32(_mm_shuffle_epi8(sc, idx));
        }
    }
}

/// The 16 int32 lanes of block row `u` / `sw` against the activation block `aq` (its 256 int8) with the kind's
/// correction `e`: lane m holds the scaled products of values 4m..4m+3 of the low chunk of each register pair...
/// summed over the four registers (lane m < 8: chunk 2z, lane m ≥ 8: chunk 2z + 1).
GEMV GEMV_INLINE __m512i super_lanes(int kind, const __m512i u[4], const __m512i sw[4], const int8_t *aq, const uint8_t *e) {
    __m512i t = _mm512_setzero_si512();
    for (int z = 0; z < 4; z++) {
        __m512i a = _mm512_loadu_si512(aq + 64 * z);
        if (kind == KIND_IQ4_XS) {
            __m512i d = _mm512_dpbusd_epi32(_mm512_loadu_si512(e + 64 * z), u[z], a);
            t = _mm512_add_epi32(t, _mm512_mullo_epi32(d, sw[z]));
        } else {
            // vpmaddubsw is exact here: u ≤ 63, |a| ≤ 127, so a pair is at most 16002.
            t = _mm512_dpwssd_epi32(t, _mm512_maddubs_epi16(u[z], a), sw[z]);
            if (kind == KIND_Q3_K) t = _mm512_dpwssd_epi32(t, _mm512_loadu_si512(e + 64 * z), sw[z]);
        }
    }
    return t;
}

/// Folds the chunk halves of rows A (`ta`) and B (`tb`): lanes 0..7 are row A's eight `pair_tile` lanes, 8..15 B's.
GEMV GEMV_INLINE __m512i fold_pair(__m512i ta, __m512i tb) {
    return _mm512_add_epi32(_mm512_shuffle_i32x4(ta, tb, 0x44), _mm512_shuffle_i32x4(ta, tb, 0xee));
}

/// The low (`half` 0) or high eight lanes of `x` summed as `lane_sum` does.
GEMV GEMV_INLINE float half_sum(__m512 x, int half) {
    return lane_sum(half ? _mm512_extractf32x8_ps(x, 1) : _mm512_castps512_ps256(x));
}

/// The super-block kinds: weight rows `row_begin..<row_end` against `cols` prepared activation rows.
GEMV GEMV_INLINE void gemv_super(
    int kind, int cols, const uint8_t *weights, size_t wrb, size_t row_begin, size_t row_end, const gemv_act *p,
    size_t blocks, float *out, size_t stride) {
    // One row pair at a time: a block row needs eight registers of values and scales per row.
    enum { P = 1, R = 2 * P };
    const size_t bb = gemv_block_bytes(kind);
    const int has_min = kind == KIND_Q2_K || kind == KIND_Q4_K || kind == KIND_Q5_K;
    float sc[R][4][16] __attribute__((aligned(64)));
    float scm[R][4][16] __attribute__((aligned(64)));
    for (size_t r0 = row_begin; r0 < row_end; r0 += R) {
        const uint8_t *rows[R];
        for (int rr = 0; rr < R; rr++) rows[rr] = weights + (r0 + rr < row_end ? r0 + rr : row_end - 1) * wrb;
        __m512 acc[P][4];
        __m256 accm[P][4];
        float summ[R][4];
        for (int pp = 0; pp < P; pp++) {
            for (int c = 0; c < cols; c++) {
                acc[pp][c] = _mm512_setzero_ps();
                accm[pp][c] = _mm256_setzero_ps();
                summ[2 * pp][c] = summ[2 * pp + 1][c] = 0;
            }
        }
        for (size_t b0 = 0; b0 < blocks; b0 += 16) {
            int count = blocks - b0 < 16 ? (int)(blocks - b0) : 16;
            for (int rr = 0; rr < R; rr++) {
                __m512 dw = halves_at(rows[rr] + b0 * bb, bb, gemv_d_at(kind), count);
                __m512 dmin = has_min ? halves_at(rows[rr] + b0 * bb, bb, gemv_d_at(kind) + 2, count) : dw;
                for (int c = 0; c < cols; c++) {
                    __m512 da = _mm512_loadu_ps(p[c].d + b0);
                    _mm512_store_ps(sc[rr][c], _mm512_mul_ps(da, dw));
                    if (has_min) _mm512_store_ps(scm[rr][c], _mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(da, dmin)));
                }
            }
            for (int j = 0; j < count; j++) {
                size_t b = b0 + j;
                for (int pp = 0; pp < P; pp++) {
                    __m512i t[2][4];
                    __m256i pair16[2];
                    __m128i mins8[2];
                    for (int h = 0; h < 2; h++) {
                        const uint8_t *blk = rows[2 * pp + h] + b * bb;
                        for (size_t off = 0; off < bb + 63; off += 64) {
                            _mm_prefetch((const char *)blk + 2 * R * wrb + (off < bb ? off : bb - 1), _MM_HINT_T0);
                        }
                        __m512i u[4], sw[4];
                        pair16[h] = _mm256_setzero_si256();
                        mins8[h] = _mm_setzero_si128();
                        super_unpack(kind, blk, u, sw, &pair16[h], &mins8[h]);
                        for (int c = 0; c < cols; c++) {
                            t[h][c] = super_lanes(kind, u, sw, (const int8_t *)(p[c].raw + b * q8k_block),
                                                  p[c].extra + 256 * b);
                        }
                    }
                    __m512i pair = _mm512_inserti64x4(_mm512_castsi256_si512(pair16[0]), pair16[1], 1);
                    __m256i mins = _mm256_inserti128_si256(_mm256_castsi128_si256(mins8[0]), mins8[1], 1);
                    for (int c = 0; c < cols; c++) {
                        const uint8_t *e = p[c].extra + 256 * b;
                        __m512i sumi = fold_pair(t[0][c], t[1][c]);
                        int ra = 2 * pp, rb = 2 * pp + 1;
                        if (kind == KIND_Q6_K) {
                            __m512i prod = _mm512_madd_epi16(pair, _mm512_loadu_si512(e));
                            sumi = _mm512_sub_epi32(sumi, _mm512_slli_epi32(prod, 5));
                        }
                        if (kind == KIND_Q2_K) {
                            __m512i prod = _mm512_madd_epi16(pair, _mm512_loadu_si512(e));
                            acc[pp][c] = _mm512_fmadd_ps(splat_pair(scm[ra][c][j], scm[rb][c][j]), _mm512_cvtepi32_ps(prod),
                                                         acc[pp][c]);
                        }
                        acc[pp][c] = _mm512_fmadd_ps(splat_pair(sc[ra][c][j], sc[rb][c][j]), _mm512_cvtepi32_ps(sumi),
                                                     acc[pp][c]);
                        if (kind == KIND_Q4_K || kind == KIND_Q5_K) {
                            __m256i prod = _mm256_madd_epi16(mins, _mm256_loadu_si256((const __m256i *)e));
                            if (kind == KIND_Q4_K) {
                                __m256 m = _mm256_insertf128_ps(_mm256_set1_ps(scm[ra][c][j]), _mm_set1_ps(scm[rb][c][j]), 1);
                                accm[pp][c] = _mm256_fmadd_ps(m, _mm256_cvtepi32_ps(prod), accm[pp][c]);
                            } else {
                                float ta = (float)hsum_i32x4(_mm256_castsi256_si128(prod));
                                float tb = (float)hsum_i32x4(_mm256_extracti128_si256(prod, 1));
                                summ[ra][c] = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(scm[ra][c][j]), _mm_set_ss(ta), _mm_set_ss(summ[ra][c])));
                                summ[rb][c] = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(scm[rb][c][j]), _mm_set_ss(tb), _mm_set_ss(summ[rb][c])));
                            }
                        }
                    }
                }
            }
        }
        for (int rr = 0; rr < R && r0 + rr < row_end; rr++) {
            for (int c = 0; c < cols; c++) {
                float sum = half_sum(acc[rr / 2][c], rr & 1);
                if (kind == KIND_Q4_K) {
                    __m128 m = (rr & 1) ? _mm256_extractf128_ps(accm[rr / 2][c], 1) : _mm256_castps256_ps128(accm[rr / 2][c]);
                    m = _mm_add_ps(m, _mm_movehl_ps(m, m));
                    m = _mm_add_ss(m, _mm_movehdup_ps(m));
                    sum += _mm_cvtss_f32(m);
                } else if (kind == KIND_Q5_K) {
                    sum += summ[rr][c];
                }
                out[c * stride + r0 + rr] = sum;
            }
        }
    }
}

/// The 32-value kinds: weight rows `row_begin..<row_end` against `cols` prepared activation rows.
GEMV GEMV_INLINE void gemv_block32(
    int kind, int cols, const uint8_t *weights, size_t wrb, size_t row_begin, size_t row_end, const gemv_act *p,
    size_t blocks, float *out, size_t stride) {
    enum { R = 2 * gemv_pairs };
    const size_t bb = gemv_block_bytes(kind);
    const int qs_at = kind == KIND_Q5_0 ? 6 : kind == KIND_Q5_1 ? 8 : 2;
    const int qh_at = kind == KIND_Q5_1 ? 4 : 2;
    const int high = kind == KIND_Q5_0 || kind == KIND_Q5_1;
    const __m512i table = _mm512_broadcast_i32x4(
        _mm_add_epi8(_mm_loadu_si128((const __m128i *)iq4_values), _mm_set1_epi8((char)128)));
    const size_t paired = blocks & ~(size_t)1;
    float sc[R][4][16] __attribute__((aligned(64)));
    float mw[R][16] __attribute__((aligned(64)));
    for (size_t r0 = row_begin; r0 < row_end; r0 += R) {
        const uint8_t *rows[R];
        for (int rr = 0; rr < R; rr++) rows[rr] = weights + (r0 + rr < row_end ? r0 + rr : row_end - 1) * wrb;
        __m512 acc[gemv_pairs][4], acc2[gemv_pairs][4], summ[gemv_pairs][4];
        int tail[R][4];
        float tail_d[R][4];
        for (int pp = 0; pp < gemv_pairs; pp++) {
            for (int c = 0; c < cols; c++) acc[pp][c] = acc2[pp][c] = summ[pp][c] = _mm512_setzero_ps();
        }
        for (size_t b0 = 0; b0 < blocks; b0 += 16) {
            int count = blocks - b0 < 16 ? (int)(blocks - b0) : 16;
            for (int rr = 0; rr < R; rr++) {
                __m512 dw = halves_at(rows[rr] + b0 * bb, bb, 0, count);
                if (kind == KIND_Q5_1) _mm512_store_ps(mw[rr], halves_at(rows[rr] + b0 * bb, bb, 2, count));
                for (int c = 0; c < cols; c++) _mm512_store_ps(sc[rr][c], _mm512_mul_ps(dw, _mm512_loadu_ps(p[c].d + b0)));
            }
            // The same blocks of the next rows, a cache line at a time.
            for (int rr = 0; rr < R; rr++) {
                const char *next = (const char *)(rows[rr] + b0 * bb + R * wrb);
                for (size_t line = 0; line < (size_t)count * bb; line += 64) _mm_prefetch(next + line, _MM_HINT_T0);
            }
            for (int j = 0; j < count; j++) {
                size_t b = b0 + j;
                for (int pp = 0; pp < gemv_pairs; pp++) {
                    int ra = 2 * pp, rb = 2 * pp + 1;
                    const uint8_t *ba = rows[ra] + b * bb, *bq = rows[rb] + b * bb;
                    __m512i w = nibble_pair(ba + qs_at, bq + qs_at);
                    if (kind == KIND_IQ4_NL) w = _mm512_shuffle_epi8(table, w);
                    if (high) {
                        uint32_t ha, hb;
                        memcpy(&ha, ba + qh_at, 4);
                        memcpy(&hb, bq + qh_at, 4);
                        __mmask64 m = _cvtu64_mask64((uint64_t)ha | (uint64_t)hb << 32);
                        w = _mm512_mask_add_epi8(w, m, w, _mm512_set1_epi8(16));
                    }
                    for (int c = 0; c < cols; c++) {
                        __m512i init = gemv_offset(kind) ? _mm512_load_si512(p[c].correction + 16 * b) : _mm512_setzero_si512();
                        __m512i s = _mm512_dpbusd_epi32(init, w, _mm512_load_si512(p[c].q + 64 * b));
                        __m512 f = _mm512_cvtepi32_ps(s);
                        __m512 scale = splat_pair(sc[ra][c][j], sc[rb][c][j]);
                        if (kind == KIND_Q5_1) {
                            summ[pp][c] = _mm512_fmadd_ps(splat_pair(mw[ra][j], mw[rb][j]), _mm512_set1_ps(p[c].s[b]), summ[pp][c]);
                            acc[pp][c] = _mm512_fmadd_ps(f, scale, acc[pp][c]);
                        } else if (kind == KIND_IQ4_NL) {
                            if (b < paired) {
                                if (b & 1) {
                                    acc2[pp][c] = _mm512_fmadd_ps(scale, f, acc2[pp][c]);
                                } else {
                                    acc[pp][c] = _mm512_fmadd_ps(scale, f, acc[pp][c]);
                                }
                            } else {
                                tail[ra][c] = _mm512_mask_reduce_add_epi32(0x00ff, s);
                                tail[rb][c] = _mm512_mask_reduce_add_epi32(0xff00, s);
                                tail_d[ra][c] = sc[ra][c][j];
                                tail_d[rb][c] = sc[rb][c][j];
                            }
                        } else {
                            acc[pp][c] = _mm512_fmadd_ps(scale, f, acc[pp][c]);
                        }
                    }
                }
            }
        }
        for (int rr = 0; rr < R && r0 + rr < row_end; rr++) {
            for (int c = 0; c < cols; c++) {
                float sum;
                if (kind == KIND_IQ4_NL) {
                    sum = half_sum(_mm512_add_ps(acc[rr / 2][c], acc2[rr / 2][c]), rr & 1);
                    if (paired < blocks) {
                        sum = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(tail_d[rr][c]), _mm_set_ss((float)tail[rr][c]), _mm_set_ss(sum)));
                    }
                } else {
                    sum = half_sum(acc[rr / 2][c], rr & 1);
                    if (kind == KIND_Q5_1) {
                        __m512 m = summ[rr / 2][c];
                        sum += _mm512_cvtss_f32((rr & 1) ? _mm512_shuffle_f32x4(m, m, 0xaa) : m);
                    }
                }
                out[c * stride + r0 + rr] = sum;
            }
        }
    }
}

/// Weight rows `row_begin..<row_end` of `kind` against `cols` (1..4) activation rows: the activations prepared
/// once, then the fused loop for that many rows.
GEMV GEMV_INLINE void decode_gemv_kind(
    int kind, const uint8_t *weights, size_t wrb, size_t row_begin, size_t row_end, const uint8_t *activations,
    size_t arb, size_t cols, size_t blocks, float *out, size_t stride) {
    if (row_begin >= row_end || cols == 0 || blocks == 0) return;
    size_t each = (gemv_act_bytes(kind, blocks) + 63) & ~(size_t)63;
    uint8_t *mem = aligned_alloc(64, cols * each);
    if (!mem) abort();
    gemv_act p[4];
    for (size_t c = 0; c < cols; c++) gemv_prepare(kind, activations + c * arb, blocks, mem + c * each, &p[c]);
    if (is_super(kind)) {
        switch (cols) {
        case 1: gemv_super(kind, 1, weights, wrb, row_begin, row_end, p, blocks, out, stride); break;
        case 2: gemv_super(kind, 2, weights, wrb, row_begin, row_end, p, blocks, out, stride); break;
        case 3: gemv_super(kind, 3, weights, wrb, row_begin, row_end, p, blocks, out, stride); break;
        default: gemv_super(kind, 4, weights, wrb, row_begin, row_end, p, blocks, out, stride); break;
        }
    } else {
        switch (cols) {
        case 1: gemv_block32(kind, 1, weights, wrb, row_begin, row_end, p, blocks, out, stride); break;
        case 2: gemv_block32(kind, 2, weights, wrb, row_begin, row_end, p, blocks, out, stride); break;
        case 3: gemv_block32(kind, 3, weights, wrb, row_begin, row_end, p, blocks, out, stride); break;
        default: gemv_block32(kind, 4, weights, wrb, row_begin, row_end, p, blocks, out, stride); break;
        }
    }
    free(mem);
}

/// Defines `decode_gemv_<suffix>`, the decode kernel of one kind (not inlined: it is compiled for AVX-512).
#define DECODE_GEMV(suffix, kind)                                                                                  \
    GEMV __attribute__((noinline)) static inline void decode_gemv_##suffix(                                        \
        const uint8_t *weights, size_t wrb, size_t row_begin, size_t row_end, const uint8_t *activations,         \
        size_t arb, size_t cols, size_t blocks, float *out, size_t stride) {                                       \
        decode_gemv_kind(kind, weights, wrb, row_begin, row_end, activations, arb, cols, blocks, out, stride);     \
    }

DECODE_GEMV(q4_0, KIND_Q4_0)
DECODE_GEMV(q5_0, KIND_Q5_0)
DECODE_GEMV(q5_1, KIND_Q5_1)
DECODE_GEMV(iq4_nl, KIND_IQ4_NL)
DECODE_GEMV(q2_k, KIND_Q2_K)
DECODE_GEMV(q3_k, KIND_Q3_K)
DECODE_GEMV(q4_k, KIND_Q4_K)
DECODE_GEMV(q5_k, KIND_Q5_K)
DECODE_GEMV(q6_k, KIND_Q6_K)
DECODE_GEMV(iq4_xs, KIND_IQ4_XS)

/// Weight rows `row_begin..<row_end` of `kind` against 1..4 activation rows on the AVX-512 variant; with a
/// constant `kind` only that kind's kernel is referenced.
KERNEL INLINE void decode_gemv(
    int kind, const uint8_t *weights, size_t wrb, size_t row_begin, size_t row_end, const uint8_t *activations,
    size_t arb, size_t cols, size_t blocks, float *out, size_t stride) {
#define DECODE_GEMV_CALL(suffix) decode_gemv_##suffix(weights, wrb, row_begin, row_end, activations, arb, cols, blocks, out, stride)
    switch (kind) {
    case KIND_Q4_0: DECODE_GEMV_CALL(q4_0); break;
    case KIND_Q5_0: DECODE_GEMV_CALL(q5_0); break;
    case KIND_Q5_1: DECODE_GEMV_CALL(q5_1); break;
    case KIND_IQ4_NL: DECODE_GEMV_CALL(iq4_nl); break;
    case KIND_Q2_K: DECODE_GEMV_CALL(q2_k); break;
    case KIND_Q3_K: DECODE_GEMV_CALL(q3_k); break;
    case KIND_Q4_K: DECODE_GEMV_CALL(q4_k); break;
    case KIND_Q5_K: DECODE_GEMV_CALL(q5_k); break;
    case KIND_Q6_K: DECODE_GEMV_CALL(q6_k); break;
    default: DECODE_GEMV_CALL(iq4_xs); break;
    }
#undef DECODE_GEMV_CALL
}
#endif

#endif
