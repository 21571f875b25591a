// Q4_0, Q5_0 and IQ4_NL weights × Q8_0 activations and Q5_1 weights × Q8_1 activations, in ggml's AVX2 order
// (`ggml_vec_dot_q4_0_q8_0`, `_q5_0_q8_0`, `_q5_1_q8_1`, `_iq4_nl_q8_0`), through the decoded-row driver.
#include "CKernels.h"
#include "decoded_rows.h"

#if defined(__x86_64__)
#pragma STDC FP_CONTRACT OFF

/// 0x10 in every byte whose bit is set in the 32-bit little-endian word at `p` (byte j ↔ bit j).
KERNEL INLINE __m256i fifth_bits(const uint8_t *p) {
    uint32_t bits;
    memcpy(&bits, p, 4);
    const __m256i spread = _mm256_setr_epi8(
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i select = _mm256_set1_epi64x(0x8040201008040201LL);
    __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), spread);
    __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, select), select);
    return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

KERNEL static void decode_q4_0(const uint8_t *row, size_t blocks, int8_t *values, void *records) {
    block_record *rec = records;
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *blk = row + 18 * b;
        rec[b].d = half_to_float(blk);
        rec[b].m = 0;
        __m256i q = _mm256_sub_epi8(nibbles(blk + 2), _mm256_set1_epi8(8));
        _mm256_store_si256((__m256i *)(values + 32 * b), q);
    }
}

KERNEL static void decode_q5_0(const uint8_t *row, size_t blocks, int8_t *values, void *records) {
    block_record *rec = records;
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *blk = row + 22 * b;
        rec[b].d = half_to_float(blk);
        rec[b].m = 0;
        __m256i q = _mm256_or_si256(nibbles(blk + 6), fifth_bits(blk + 2));
        _mm256_store_si256((__m256i *)(values + 32 * b), _mm256_sub_epi8(q, _mm256_set1_epi8(16)));
    }
}

KERNEL static void decode_q5_1(const uint8_t *row, size_t blocks, int8_t *values, void *records) {
    block_record *rec = records;
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *blk = row + 24 * b;
        rec[b].d = half_to_float(blk);
        rec[b].m = half_to_float(blk + 2);
        __m256i q = _mm256_or_si256(nibbles(blk + 8), fifth_bits(blk + 4));
        _mm256_store_si256((__m256i *)(values + 32 * b), q);
    }
}

KERNEL static void decode_iq4_nl(const uint8_t *row, size_t blocks, int8_t *values, void *records) {
    block_record *rec = records;
    const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)iq4_values));
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *blk = row + 18 * b;
        rec[b].d = half_to_float(blk);
        rec[b].m = 0;
        _mm256_store_si256((__m256i *)(values + 32 * b), _mm256_shuffle_epi8(table, nibbles(blk + 2)));
    }
}

DECODED_KERNEL(bg_q4_0_matmul, KIND_Q4_0, decode_q4_0)
DECODED_KERNEL(bg_q5_0_matmul, KIND_Q5_0, decode_q5_0)
DECODED_KERNEL(bg_q5_1_matmul, KIND_Q5_1, decode_q5_1)
DECODED_KERNEL(bg_iq4_nl_matmul, KIND_IQ4_NL, decode_iq4_nl)
// IQ4_NL in the order of llama.cpp's llamafile kernel (`tinyBLAS_Q0_AVX`), which its prompt chunks take: one set of
// lanes, as Q5_0's recipe (signed values, Q8_0 activations) has; IQ4_NL's blocks, so not the fused Q5_0 decode.
DECODED_KERNEL_READING(bg_iq4_nl_matmul_llamafile, KIND_Q5_0, decode_iq4_nl, 0)

#else

DECODED_STUB(bg_q4_0_matmul)
DECODED_STUB(bg_q5_0_matmul)
DECODED_STUB(bg_q5_1_matmul)
DECODED_STUB(bg_iq4_nl_matmul)
DECODED_STUB(bg_iq4_nl_matmul_llamafile)

#endif
