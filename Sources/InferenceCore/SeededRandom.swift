import Basics

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// xoshiro256**: a fast, high-quality generator whose output depends only on its seed (the same on every run).
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Seeds the 256-bit state from `seed` through SplitMix64 (never all zero).
    public init(seed: UInt64) {
        var mix = SplitMix64(seed: seed)
        s0 = mix.next()
        s1 = mix.next()
        s2 = mix.next()
        s3 = mix.next()
    }

    /// The next 64 random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always)
    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

/// Normally distributed `Float`s from a seeded xoshiro256** stream, by the Box–Muller transform (each pair of
/// uniforms gives two normals; the second is kept for the next call).
public struct GaussianGenerator: Sendable {
    private var uniform: Xoshiro256StarStar
    private var spare: Float?

    /// Starts the stream for `seed`.
    public init(seed: UInt64) { uniform = Xoshiro256StarStar(seed: seed) }

    /// The next sample of N(mean, standardDeviation²).
    @inline(__always)
    public mutating func next(mean: Float = 0, standardDeviation: Float = 1) -> Float {
        if let z = spare {
            spare = nil
            return mean + standardDeviation * z
        }
        let (z0, z1) = pair()
        spare = z1
        return mean + standardDeviation * z0
    }

    /// Fills `buffer` with samples of N(mean, standardDeviation²); the same as calling `next` once per element.
    public mutating func fill(_ buffer: inout [Float], mean: Float = 0, standardDeviation: Float = 1) {
        buffer.withUnsafeMutableBufferPointer { out in
            var i = 0
            if let z = spare, !out.isEmpty {
                spare = nil
                out[0] = mean + standardDeviation * z
                i = 1
            }
            while i + 1 < out.count {
                let (z0, z1) = pair()
                out[i] = mean + standardDeviation * z0
                out[i + 1] = mean + standardDeviation * z1
                i += 2
            }
            if i < out.count { out[i] = next(mean: mean, standardDeviation: standardDeviation) }
        }
    }

    /// Two independent standard normal samples from one 64-bit draw.
    @inline(__always)
    private mutating func pair() -> (Float, Float) {
        let bits = uniform.next()
        // u1 in (0, 1] so the logarithm is finite; u2 in [0, 1). 32 bits each.
        let u1 = (Double(bits >> 32) + 1) * 0x1p-32
        let u2 = Double(bits & 0xffff_ffff) * 0x1p-32
        let r = (-2 * log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        return (Float(r * cos(theta)), Float(r * sin(theta)))
    }
}
