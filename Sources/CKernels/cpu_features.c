// Run-time selection: the kernels need AVX2, FMA and F16C; their AVX-512 variants also AVX-512 F, BW, VL, DQ, VNNI.
#include "CKernels.h"
#include <stdlib.h>
#include <string.h>

int bg_kernels_available(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#else
    return 0;
#endif
}

int bg_avx512_available(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return bg_kernels_available() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}

/// The variant in force, -1 until first asked.
static int current_variant = -1;

int bg_kernel_variant(void) {
    int variant = __atomic_load_n(&current_variant, __ATOMIC_RELAXED);
    if (variant < 0) {
        const char *choice = getenv("BATCHGATE_KERNELS");
        int forced = choice && strcmp(choice, "avx2") == 0;
        variant = bg_avx512_available() && !forced ? BG_VARIANT_AVX512 : BG_VARIANT_AVX2;
        __atomic_store_n(&current_variant, variant, __ATOMIC_RELAXED);
    }
    return variant;
}

int bg_select_kernel_variant(int variant) {
    int chosen = variant == BG_VARIANT_AVX512 && bg_avx512_available() ? BG_VARIANT_AVX512 : BG_VARIANT_AVX2;
    __atomic_store_n(&current_variant, chosen, __ATOMIC_RELAXED);
    return chosen;
}
