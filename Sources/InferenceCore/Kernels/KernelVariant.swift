import CKernels

/// Which instruction set the matrix kernels run on this machine, for benchmark reports.
public enum KernelVariant {
    /// "swift" (no C kernels), "avx2", or "avx512" (the AVX-512 VNNI tiles and GEMMs of the decoded-row, Q8_0 and
    /// tiled-order kernels; chosen at run time, `BATCHGATE_KERNELS=avx2` forces AVX2). Every variant gives
    /// bit-identical results.
    public static var current: String {
        guard NativeKernels.available else { return "swift" }
        return bg_kernel_variant() == Int32(BG_VARIANT_AVX512) ? "avx512" : "avx2"
    }
}
