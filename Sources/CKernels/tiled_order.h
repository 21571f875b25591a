// llama.cpp's order for prompt batches of the super-block kinds ("tiled order"), defined by a scalar reference.
//
// llama.cpp 0.3.36 multiplies Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and IQ4_XS weights by a batch of at least 8 activation
// rows (a prompt chunk) with its tiled kernels (`ggml-cpu/tiled`), not with `vec_dot`; one row (a decode step) still
// goes through `vec_dot`, ggml's AVX2 lane order (`decoded_rows.h`). The tiled order is the same on its AVX2 and
// AVX-512 builds: per (weight row, activation row) pair, one float `r` starts at zero, and for each 256-value block
// b in order
//   - S_b = the exact integer sum over the block of (sub-block scale × weight value × activation value), with
//     Q6_K's offset of 32 taken off per 16-value group (the weight values are signed as the block means them);
//   - M_b = the exact sum of each group's minimum times its activations' sum (Q2_K, Q4_K, Q5_K; else no term);
//   - res = d × (float)S_b, rounded; with minimums res = fmaf(-dmin, (float)M_b, res);
//   - r = fmaf(res, d_a, r), with `d_a` the Q8_K block's float scale.
// The result is r. The integers are exact in int32, so any instruction sequence that forms S_b and M_b exactly and
// then applies these float steps in block order gives these bits, whatever the tile shape. The values and records
// are those the driver's decoders write (`decoded_rows.h`).
#ifndef BATCHGATE_TILED_ORDER_H
#define BATCHGATE_TILED_ORDER_H

#if defined(__x86_64__)
#include <math.h>

/// The pair (decoded weight row `values` / `records` of `blocks` super-blocks, prepared Q8_K activation row `a`) in
/// the tiled order: the reference the tiled kernels equal bit for bit. Only for the super-block kinds.
KERNEL INLINE float tiled_pair_reference(
    int kind, const int8_t *values, const uint8_t *records, const uint8_t *a, size_t blocks) {
    float r = 0;
    for (size_t b = 0; b < blocks; b++) {
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
        float res = rec->d * (float)s;
        if (kind == KIND_Q2_K) {
            for (int g = 0; g < 16; g++) m += rec->mins[g] * (int32_t)sums[g];
            res = fmaf(-rec->dmin, (float)m, res);
        } else if (kind == KIND_Q4_K || kind == KIND_Q5_K) {
            for (int j = 0; j < 8; j++) m += rec->mins[j] * ((int32_t)sums[2 * j] + sums[2 * j + 1]);
            res = fmaf(-rec->dmin, (float)m, res);
        }
        r = fmaf(res, da, r);
    }
    return r;
}

/// Weight rows `row_begin..<row_end` against every activation row, each pair by `tiled_pair_reference` (the
/// `*_tiled_reference` kernels' body; one row decoded at a time).
KERNEL INLINE void tiled_reference_matmul(
    int kind, row_decoder decode, const uint8_t *weights, size_t weight_row_bytes, size_t row_begin, size_t row_end,
    const uint8_t *activations, size_t activation_row_bytes, size_t activation_count, size_t blocks, float *output,
    size_t output_stride) {
    size_t n = blocks * 256;
    uint8_t *slot = aligned_alloc(64, (n + blocks * sizeof(super_record) + 63) & ~(size_t)63);
    if (!slot) abort();
    for (size_t r = row_begin; r < row_end; r++) {
        decode(weights + r * weight_row_bytes, blocks, (int8_t *)slot, slot + n);
        for (size_t i = 0; i < activation_count; i++) {
            output[i * output_stride + r] =
                tiled_pair_reference(kind, (const int8_t *)slot, slot + n, activations + i * activation_row_bytes, blocks);
        }
    }
    free(slot);
}
#endif

#endif
