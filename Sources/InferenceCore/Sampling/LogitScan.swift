import CKernels

/// One pass over a row of logits: whether every value is finite, the largest value and the index of its first
/// occurrence. The engine checks a row with it before sampling, and the sampler reuses its maximum (and, when
/// nothing changes the logits, its greedy token) instead of passing over the row again; greedy sampling of
/// processed logits takes their first maximum from it too.
public struct LogitScan: Sendable, Equatable {
    /// Whether no value is NaN or infinite.
    public let allFinite: Bool
    /// The largest value that is not NaN (infinities compare as usual); minus infinity for an empty row.
    public let maximum: Float
    /// The index of the first occurrence of `maximum` (the greedy token); 0 when nothing exceeds minus infinity.
    public let firstMaximum: Int

    /// Scans `logits` (with the C kernel where the CPU has AVX2).
    public init(_ logits: UnsafeBufferPointer<Float>) {
        guard NativeKernels.available, let base = logits.baseAddress else {
            self.init(scalar: logits)
            return
        }
        var maximum: Float = 0
        var at = 0
        let finite = bg_scan_logits(base, logits.count, &maximum, &at) != 0
        self.init(allFinite: finite, maximum: maximum, firstMaximum: at)
    }

    /// A scan's result as given.
    init(allFinite: Bool, maximum: Float, firstMaximum: Int) {
        self.allFinite = allFinite
        self.maximum = maximum
        self.firstMaximum = firstMaximum
    }

    /// The same scan one value at a time (the reference for the C kernel, and its stand-in without AVX2).
    init(scalar logits: UnsafeBufferPointer<Float>) {
        var finite = true
        var maximum = -Float.infinity
        var at = 0
        for (i, v) in logits.enumerated() {
            if !v.isFinite { finite = false }
            if v > maximum {
                maximum = v
                at = i
            }
        }
        self.init(allFinite: finite, maximum: maximum, firstMaximum: at)
    }
}
