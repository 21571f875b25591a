// Run-time selection: the kernels need AVX2, FMA and F16C.
#include "CKernels.h"

int bg_kernels_available(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#else
    return 0;
#endif
}
