import Basics
import Foundation

extension SplitMix64 {
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
