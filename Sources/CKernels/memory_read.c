// Reads a buffer as fast as the core can, for the host's read bandwidth: 256-bit loads into four independent
// accumulators (so that no add waits for the one before), XORed together so that the compiler keeps every load.
#include "CKernels.h"

#if defined(__x86_64__)
#include "kernel_support.h"

KERNEL uint64_t bg_read_buffer(const void *buffer, size_t bytes) {
    const __m256i *p = (const __m256i *)buffer;
    size_t vectors = bytes / 32;
    __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
    size_t i = 0;
    for (; i + 4 <= vectors; i += 4) {
        a = _mm256_xor_si256(a, _mm256_loadu_si256(p + i));
        b = _mm256_xor_si256(b, _mm256_loadu_si256(p + i + 1));
        c = _mm256_xor_si256(c, _mm256_loadu_si256(p + i + 2));
        d = _mm256_xor_si256(d, _mm256_loadu_si256(p + i + 3));
    }
    for (; i < vectors; i++) a = _mm256_xor_si256(a, _mm256_loadu_si256(p + i));
    __m256i all = _mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d));
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, all);
    uint64_t sum = lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3];
    const unsigned char *tail = (const unsigned char *)buffer + vectors * 32;
    for (size_t t = 0; t < bytes % 32; t++) sum ^= tail[t];
    return sum;
}

#else

uint64_t bg_read_buffer(const void *buffer, size_t bytes) {
    const unsigned char *p = (const unsigned char *)buffer;
    uint64_t sum = 0;
    for (size_t i = 0; i < bytes; i++) sum ^= (uint64_t)p[i] << (8 * (i % 8));
    return sum;
}

#endif
