// The AVX-512 variant's arithmetic order for the decoded-row kinds ("exact blocks"), defined by a scalar reference.
//
// ggml's AVX2 order keeps eight int32 lanes per block apart (lane l: products 4l..4l+3 of every 32 values) and fuses
// each into its own float lane. A register-blocked int8 product cannot keep those lanes apart cheaply, so on AVX-512
// hosts every decoded-row kernel follows this order instead, whatever the number of activation rows: per (weight
// row, activation row) pair, one float `r` starts at zero, and for each block b in order
//   - S_b = the exact integer sum over the block of (group scale × weight value × activation value), with Q6_K's
//     offset of 32 taken off per 16-value group;
//   - r = fmaf(d_w × d_a, (float)S_b, r), the scale product rounded to float first (the K-quants and IQ4_XS:
//     `d_a × d`, with `d_a` the Q8_K block's float scale; the 32-value blocks: `d_w × d_a`);
//   - with minimums, also r = fmaf(-(d_a × dmin), (float)M_b, r), M_b the exact sum of each group's minimum times
//     its activations' sum (Q2_K, Q4_K, Q5_K), or r = fmaf(m_w, s_a, r) with the Q8_1 block's scaled sum s_a (Q5_1).
// The result is r. Every integer is exact in int32, so any instruction sequence that forms S_b and M_b exactly and
// then applies the fused adds in block order gives these bits: one activation row or many, any tile shape.
// The values and records are those the AVX2 driver's decoders write (`decoded_rows.h`).
#ifndef BATCHGATE_EXACT_ORDER_H
#define BATCHGATE_EXACT_ORDER_H

#if defined(__x86_64__)
#include <math.h>

/// The pair (decoded weight row `values` / `records` of `blocks` blocks, prepared activation row `a`) in the exact
/// block order: the reference the AVX-512 kernels equal bit for bit.
KERNEL INLINE float exact_pair_reference(
    int kind, const int8_t *values, const uint8_t *records, const uint8_t *a, size_t blocks) {
    float r = 0;
    for (size_t b = 0; b < blocks; b++) {
        if (is_super(kind)) {
            const super_record *rec = (const super_record *)(records + b * sizeof(super_record));
            const uint8_t *ab = a + b * q8k_block;
            const int8_t *q8 = (const int8_t *)ab;
            const int16_t *sums = (const int16_t *)(ab + q8k_sums);
            const int8_t *w = values + 256 * b;
            float da;
            memcpy(&da, ab + q8k_scale, 4);
            int32_t s = 0, m = 0;
            for (int g = 0; g < 16; g++) {
                int32_t t = 0;
                for (int j = 16 * g; j < 16 * g + 16; j++) t += (int32_t)w[j] * q8[j];
                if (kind == KIND_Q6_K) t -= 32 * (int32_t)sums[g];
                s += rec->scales[g] * t;
            }
            if (kind == KIND_Q2_K) {
                for (int g = 0; g < 16; g++) m += rec->mins[g] * (int32_t)sums[g];
            } else if (kind == KIND_Q4_K || kind == KIND_Q5_K) {
                for (int j = 0; j < 8; j++) m += rec->mins[j] * ((int32_t)sums[2 * j] + sums[2 * j + 1]);
            }
            r = fmaf(da * rec->d, (float)s, r);
            if (kind == KIND_Q2_K || kind == KIND_Q4_K || kind == KIND_Q5_K) r = fmaf(-(da * rec->dmin), (float)m, r);
        } else {
            const block_record *rec = (const block_record *)(records + b * sizeof(block_record));
            const uint8_t *ab = a + b * q8_block;
            const int8_t *q8 = (const int8_t *)(ab + (kind == KIND_Q5_1 ? 8 : 4));
            const int8_t *w = values + 32 * b;
            float da;
            memcpy(&da, ab, 4);
            int32_t s = 0;
            for (int j = 0; j < 32; j++) s += (int32_t)w[j] * q8[j];
            r = fmaf(rec->d * da, (float)s, r);
            if (kind == KIND_Q5_1) {
                float sa;
                memcpy(&sa, ab + 4, 4);
                r = fmaf(rec->m, sa, r);
            }
        }
    }
    return r;
}

/// Weight rows `row_begin..<row_end` against every activation row, each pair by `exact_pair_reference` (the
/// `*_exact_reference` kernels' body; one row decoded at a time).
KERNEL INLINE void exact_reference_matmul(
    int kind, row_decoder decode, const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end,
    const uint8_t *activations, size_t activation_row_bytes, size_t activation_count, size_t blocks, float *output,
    size_t output_stride) {
    size_t n = blocks * (is_super(kind) ? 256 : 32);
    size_t record_bytes = blocks * (is_super(kind) ? sizeof(super_record) : sizeof(block_record));
    uint8_t *slot = aligned_alloc(64, (n + record_bytes + 63) & ~(size_t)63);
    if (!slot) abort();
    for (size_t r = row_begin; r < row_end; r++) {
        decode(weights + r * weight_row_bytes, blocks, (int8_t *)slot, slot + n);
        for (size_t i = 0; i < activation_count; i++) {
            output[i * output_stride + r] =
                exact_pair_reference(kind, (const int8_t *)slot, slot + n, activations + i * activation_row_bytes, blocks);
        }
    }
    free(slot);
}
#endif

#endif
