import Foundation

/// SplitMix64: a small, fast generator whose whole sequence follows from its seed, so `--seed` repeats a run.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator from `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in (0, 1].
    mutating func unitOpen() -> Double {
        Double(next() >> 11 &+ 1) / Double(1 << 53)
    }

    /// A standard normal value (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = unitOpen()
        let u2 = unitOpen()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// An exponentially distributed value with mean `mean` (gaps between Poisson arrivals).
    public mutating func exponential(mean: Double) -> Double {
        -log(unitOpen()) * mean
    }
}
