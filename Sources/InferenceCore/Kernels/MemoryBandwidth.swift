import CKernels

/// The host's memory read bandwidth, measured the way decode reads weights: every thread of a compute pool streams
/// its own contiguous part of a buffer much larger than the caches, once per pass; the best of several passes
/// counts (a pass that another process disturbed is only slower).
public enum MemoryBandwidth {
    /// Bytes read per second with `threads` threads over a buffer of `bytes` (default 1 GiB), best of `passes`; nil
    /// on a host without the AVX2 kernels (the measure needs wide loads to reach the memory's speed).
    public static func measure(threads: Int, bytes: Int = 1 << 30, passes: Int = 5) -> Double? {
        guard bg_kernels_available() != 0, bytes >= 1 << 20, passes >= 1 else { return nil }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
        defer { buffer.deallocate() }
        // Write every page first, so that the passes read memory rather than fault on zero pages.
        for offset in stride(from: 0, to: bytes, by: 4096) {
            buffer.storeBytes(of: UInt8(offset >> 12 & 0xFF), toByteOffset: offset, as: UInt8.self)
        }
        let pool = ComputePool(threads: threads)
        defer { pool.shutdown() }
        let base = UnsafeRawPointer(buffer.baseAddress!)
        let part = bytes / pool.threadCount / 64 * 64
        var best = 0.0
        for _ in 0..<passes {
            let started = ContinuousClock.now
            // A C function the compiler cannot see into: its reads are not optimised away.
            pool.run { index in _ = bg_read_buffer(base + index * part, part) }
            best = max(best, Double(part * pool.threadCount) / ((ContinuousClock.now - started) / .seconds(1)))
        }
        return best
    }

    /// The weight bytes one decode step reads per sequence: every tensor of the file, except the token embedding
    /// table when the output projection has its own weights (a step then reads one row of the table).
    public static func decodeBytesPerToken(_ weights: ModelWeights) -> Int {
        let total = weights.file.tensors.reduce(0) { $0 + $1.byteCount }
        guard weights.file.tensor(named: "output.weight") != nil,
            let embedding = weights.file.tensor(named: "token_embd.weight")
        else { return total }
        return total - embedding.byteCount
    }
}
