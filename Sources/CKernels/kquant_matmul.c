// Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and IQ4_XS weights × Q8_K activations in ggml's AVX2 order
// (`ggml_vec_dot_<type>_q8_K`), through the decoded-row driver; and the Q8_K activation quantizer.
#include "CKernels.h"
#include "decoded_rows.h"
#include <math.h>

#if defined(__x86_64__)
#pragma STDC FP_CONTRACT OFF

/// 32 bytes at `p` shifted right by `shift` bits, masked to `mask` (per byte).
KERNEL INLINE __m256i bits_at(const uint8_t *p, int shift, int mask) {
    __m256i v = _mm256_loadu_si256((const __m256i *)p);
    return _mm256_and_si256(_mm256_srl_epi16(v, _mm_cvtsi32_si128(shift)), _mm256_set1_epi8((char)mask));
}

/// Scale and minimum `j` (0..<8) of a Q4_K / Q5_K block from its 12 packed bytes (ggml's `get_scale_min_k4`).
KERNEL INLINE void scale_min_k4(int j, const uint8_t *q, int16_t *scale, int16_t *min) {
    if (j < 4) {
        *scale = q[j] & 63;
        *min = q[j + 4] & 63;
    } else {
        *scale = (q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4);
        *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/// Scales and minimums of a Q4_K / Q5_K block: one scale per 32 values, spread over both 16-value groups.
KERNEL INLINE void k4_record(const uint8_t *blk, super_record *rec) {
    rec->d = half_to_float(blk);
    rec->dmin = half_to_float(blk + 2);
    for (int j = 0; j < 8; j++) {
        int16_t sc, m;
        scale_min_k4(j, blk + 4, &sc, &m);
        rec->scales[2 * j] = rec->scales[2 * j + 1] = sc;
        rec->mins[j] = m;
        rec->mins[8 + j] = 0;
    }
}

KERNEL static void decode_q4_k(const uint8_t *row, size_t blocks, int8_t *values, void *records) {
    super_record *rec = records;
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *blk = row + 144 * b;
        k4_record(blk, rec + b);
        int8_t *v = values + 256 * b;
        for (int g = 0; g < 4; g++) {
            _mm256_store_si256((__m256i *)(v + 64 * g), bits_at(blk + 16 + 32 * g, 0, 0x0f));
            _mm256_store_si256((__m256i *)(v + 64 * g + 32), bits_at(blk + 16 + 32 * g, 4, 0x0f));
        }
    }
}

KERNEL static void decode_q5_k(const uint8_t *row, size_t blocks, int8_t *values, void *records) {
    super_record *rec = records;
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *blk = row + 176 * b;
        k4_record(blk, rec + b);
        int8_t *v = values + 256 * b;
        for (int g = 0; g < 4; g++) {
            __m256i low = bits_at(blk + 48 + 32 * g, 0, 0x0f);
            __m256i high = bits_at(blk + 48 + 32 * g, 4, 0x0f);
            low = _mm256_or_si256(low, _mm256_slli_epi16(bits_at(blk + 16, 2 * g, 1), 4));
            high = _mm256_or_si256(high, _mm256_slli_epi16(bits_at(blk + 16, 2 * g + 1, 1), 4));
            _mm256_store_si256((__m256i *)(v + 64 * g), low);
            _mm256_store_si256((__m256i *)(v + 64 * g + 32), high);
        }
    }
}

KERNEL static void decode_q6_k(const uint8_t *row, size_t blocks, int8_t *values, void *records) {
    super_record *rec = records;
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *blk = row + 210 * b;
        rec[b].d = half_to_float(blk + 208);
        rec[b].dmin = 0;
        // The values stay unsigned (0..63); the offset of 32 is taken off per 16-value group (see `pair_tile`).
        for (int i = 0; i < 16; i++) {
            rec[b].scales[i] = (int8_t)blk[192 + i];
            rec[b].mins[i] = 0;
        }
        int8_t *v = values + 256 * b;
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = blk + 64 * h;
            const uint8_t *qh = blk + 128 + 32 * h;
            for (int k = 0; k < 4; k++) {
                __m256i low = bits_at(ql + 32 * (k & 1), 4 * (k >> 1), 0x0f);
                __m256i high = _mm256_slli_epi16(bits_at(qh, 2 * k, 3), 4);
                _mm256_store_si256((__m256i *)(v + 128 * h + 32 * k), _mm256_or_si256(low, high));
            }
        }
    }
}

KERNEL static void decode_q3_k(const uint8_t *row, size_t blocks, int8_t *values, void *records) {
    super_record *rec = records;
    const __m256i four = _mm256_set1_epi8(4);
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *blk = row + 110 * b;
        rec[b].d = half_to_float(blk + 108);
        rec[b].dmin = 0;
        const uint8_t *sc = blk + 96;
        for (int s = 0; s < 16; s++) {
            int low = s < 8 ? sc[s % 8] & 0x0f : sc[s % 8] >> 4;
            int high = (sc[8 + s % 4] >> (2 * (s / 4))) & 3;
            rec[b].scales[s] = (int16_t)((low | high << 4) - 32);
            rec[b].mins[s] = 0;
        }
        int8_t *v = values + 256 * b;
        for (int h = 0; h < 2; h++) {
            for (int k = 0; k < 4; k++) {
                __m256i low = bits_at(blk + 32 + 32 * h, 2 * k, 3);
                __m256i set = bits_at(blk, 4 * h + k, 1);
                // value = low - 4 when the high bit is clear: low - 4 + 4 * bit.
                __m256i q = _mm256_add_epi8(_mm256_sub_epi8(low, four), _mm256_slli_epi16(set, 2));
                _mm256_store_si256((__m256i *)(v + 128 * h + 32 * k), q);
            }
        }
    }
}

KERNEL static void decode_q2_k(const uint8_t *row, size_t blocks, int8_t *values, void *records) {
    super_record *rec = records;
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *blk = row + 84 * b;
        rec[b].d = half_to_float(blk + 80);
        rec[b].dmin = half_to_float(blk + 82);
        for (int s = 0; s < 16; s++) {
            rec[b].scales[s] = blk[s] & 0x0f;
            rec[b].mins[s] = blk[s] >> 4;
        }
        int8_t *v = values + 256 * b;
        for (int h = 0; h < 2; h++) {
            for (int k = 0; k < 4; k++) {
                _mm256_store_si256((__m256i *)(v + 128 * h + 32 * k), bits_at(blk + 16 + 32 * h, 2 * k, 3));
            }
        }
    }
}

KERNEL static void decode_iq4_xs(const uint8_t *row, size_t blocks, int8_t *values, void *records) {
    super_record *rec = records;
    const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)iq4_values));
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *blk = row + 136 * b;
        rec[b].d = half_to_float(blk);
        rec[b].dmin = 0;
        uint16_t high;
        memcpy(&high, blk + 2, 2);
        for (int ib = 0; ib < 8; ib++) {
            int low = (blk[4 + ib / 2] >> (4 * (ib % 2))) & 0x0f;
            int ls = (low | ((high >> (2 * ib)) & 3) << 4) - 32;
            rec[b].scales[2 * ib] = rec[b].scales[2 * ib + 1] = (int16_t)ls;
            rec[b].mins[2 * ib] = rec[b].mins[2 * ib + 1] = 0;
            _mm256_store_si256(
                (__m256i *)(values + 256 * b + 32 * ib), _mm256_shuffle_epi8(table, nibbles(blk + 8 + 16 * ib)));
        }
    }
}

DECODED_KERNEL(bg_q2_k_matmul, KIND_Q2_K, decode_q2_k)
DECODED_KERNEL(bg_q3_k_matmul, KIND_Q3_K, decode_q3_k)
DECODED_KERNEL(bg_q4_k_matmul, KIND_Q4_K, decode_q4_k)
DECODED_KERNEL(bg_q5_k_matmul, KIND_Q5_K, decode_q5_k)
DECODED_KERNEL(bg_q6_k_matmul, KIND_Q6_K, decode_q6_k)
DECODED_KERNEL(bg_iq4_xs_matmul, KIND_IQ4_XS, decode_iq4_xs)
TILED_REFERENCE(bg_q2_k_matmul, KIND_Q2_K, decode_q2_k)
TILED_KERNEL(bg_q2_k_matmul, KIND_Q2_K, decode_q2_k)
TILED_REFERENCE(bg_q3_k_matmul, KIND_Q3_K, decode_q3_k)
TILED_KERNEL(bg_q3_k_matmul, KIND_Q3_K, decode_q3_k)
TILED_REFERENCE(bg_q4_k_matmul, KIND_Q4_K, decode_q4_k)
TILED_KERNEL(bg_q4_k_matmul, KIND_Q4_K, decode_q4_k)
TILED_REFERENCE(bg_q5_k_matmul, KIND_Q5_K, decode_q5_k)
TILED_KERNEL(bg_q5_k_matmul, KIND_Q5_K, decode_q5_k)
TILED_REFERENCE(bg_q6_k_matmul, KIND_Q6_K, decode_q6_k)
TILED_KERNEL(bg_q6_k_matmul, KIND_Q6_K, decode_q6_k)
TILED_REFERENCE(bg_iq4_xs_matmul, KIND_IQ4_XS, decode_iq4_xs)
TILED_KERNEL(bg_iq4_xs_matmul, KIND_IQ4_XS, decode_iq4_xs)

KERNEL void bg_quantize_q8_k(const float *input, uint8_t *output, size_t blocks) {
    for (size_t b = 0; b < blocks; b++) {
        const float *x = input + 256 * b;
        uint8_t *blk = output + q8k_block * b;
        float max = 0, amax = 0;
        for (int j = 0; j < 256; j++) {
            float ax = fabsf(x[j]);
            if (ax > amax) {
                amax = ax;
                max = x[j];
            }
        }
        memset(blk, 0, q8k_block);
        if (amax == 0) continue;
        float iscale = -127.0f / max;
        // nearest_int: adding 1.5 * 2^23 rounds to an integer (ties to even) in the low mantissa bits.
        const __m256 magic = _mm256_set1_ps(12582912.0f);
        const __m256i mantissa = _mm256_set1_epi32(0x007fffff), bias = _mm256_set1_epi32(0x00400000);
        for (int j = 0; j < 256; j += 32) {
            __m256i q[4];
            for (int t = 0; t < 4; t++) {
                __m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(iscale), _mm256_loadu_ps(x + j + 8 * t)), magic);
                __m256i i = _mm256_sub_epi32(_mm256_and_si256(_mm256_castps_si256(v), mantissa), bias);
                q[t] = _mm256_min_epi32(i, _mm256_set1_epi32(127));
            }
            store_int8_block(q, blk + j);
        }
        int16_t sums[16];
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int t = 0; t < 16; t++) sum += (int8_t)blk[16 * g + t];
            sums[g] = (int16_t)sum;
        }
        memcpy(blk + q8k_sums, sums, 32);
        float d = 1.0f / iscale;
        memcpy(blk + q8k_scale, &d, 4);
    }
}

#else

DECODED_STUB(bg_q2_k_matmul)
DECODED_STUB(bg_q2_k_matmul_tiled_reference)
DECODED_STUB(bg_q2_k_matmul_tiled)
DECODED_STUB(bg_q2_k_matmul_tiled_avx2)
DECODED_STUB(bg_q2_k_matmul_tiled_avx512)
DECODED_STUB(bg_q3_k_matmul)
DECODED_STUB(bg_q3_k_matmul_tiled_reference)
DECODED_STUB(bg_q3_k_matmul_tiled)
DECODED_STUB(bg_q3_k_matmul_tiled_avx2)
DECODED_STUB(bg_q3_k_matmul_tiled_avx512)
DECODED_STUB(bg_q4_k_matmul)
DECODED_STUB(bg_q4_k_matmul_tiled_reference)
DECODED_STUB(bg_q4_k_matmul_tiled)
DECODED_STUB(bg_q4_k_matmul_tiled_avx2)
DECODED_STUB(bg_q4_k_matmul_tiled_avx512)
DECODED_STUB(bg_q5_k_matmul)
DECODED_STUB(bg_q5_k_matmul_tiled_reference)
DECODED_STUB(bg_q5_k_matmul_tiled)
DECODED_STUB(bg_q5_k_matmul_tiled_avx2)
DECODED_STUB(bg_q5_k_matmul_tiled_avx512)
DECODED_STUB(bg_q6_k_matmul)
DECODED_STUB(bg_q6_k_matmul_tiled_reference)
DECODED_STUB(bg_q6_k_matmul_tiled)
DECODED_STUB(bg_q6_k_matmul_tiled_avx2)
DECODED_STUB(bg_q6_k_matmul_tiled_avx512)
DECODED_STUB(bg_iq4_xs_matmul)
DECODED_STUB(bg_iq4_xs_matmul_tiled_reference)
DECODED_STUB(bg_iq4_xs_matmul_tiled)
DECODED_STUB(bg_iq4_xs_matmul_tiled_avx2)
DECODED_STUB(bg_iq4_xs_matmul_tiled_avx512)

void bg_quantize_q8_k(const float *input, uint8_t *output, size_t blocks) {
    (void)input, (void)output, (void)blocks;
}

#endif
