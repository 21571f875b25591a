import Basics
import Foundation

/// A distribution of token lengths: `256` (fixed), `256±64` or `256+-64` (normal, mean ± standard deviation),
/// `128..512` (uniform, both ends included). Samples are clamped to at least 1.
public enum LengthSpec: Sendable, Equatable, CustomStringConvertible {
    /// Always this length.
    case fixed(Int)
    /// Normally distributed around `mean` with standard deviation `deviation`, rounded.
    case normal(mean: Int, deviation: Int)
    /// Uniform over the closed range.
    case uniform(ClosedRange<Int>)

    /// Parses the forms above.
    public init(parsing text: String) throws(BenchError) {
        let trimmed = text.filter { $0 != " " }
        func number(_ part: Substring) throws(BenchError) -> Int {
            guard let value = Int(part), value >= 1 else {
                throw BenchError(
                    .invalidArgument, "'\(text)' is not a token length (expected N, N±D or LOW..HIGH with N ≥ 1)")
            }
            return value
        }
        if let range = trimmed.range(of: "..") {
            let low = try number(trimmed[..<range.lowerBound])
            let high = try number(trimmed[range.upperBound...])
            guard low <= high else { throw BenchError(.invalidArgument, "'\(text)': the range is empty") }
            self = .uniform(low...high)
        } else if let range = trimmed.range(of: "±") ?? trimmed.range(of: "+-") {
            let mean = try number(trimmed[..<range.lowerBound])
            let deviationText = trimmed[range.upperBound...]
            guard let deviation = Int(deviationText), deviation >= 0 else {
                throw BenchError(.invalidArgument, "'\(text)': the deviation must be a whole number ≥ 0")
            }
            self = .normal(mean: mean, deviation: deviation)
        } else {
            self = .fixed(try number(Substring(trimmed)))
        }
    }

    /// One length drawn from the distribution.
    public func sample(using random: inout SplitMix64) -> Int {
        switch self {
        case .fixed(let value): return value
        case .normal(let mean, let deviation):
            return max(1, Int((Double(mean) + Double(deviation) * random.normal()).rounded()))
        case .uniform(let range): return Int.random(in: range, using: &random)
        }
    }

    /// The largest length it can give (for the normal: mean + 4 deviations).
    public var upperBound: Int {
        switch self {
        case .fixed(let value): return value
        case .normal(let mean, let deviation): return mean + 4 * deviation
        case .uniform(let range): return range.upperBound
        }
    }

    /// The form it was written in.
    public var description: String {
        switch self {
        case .fixed(let value): return "\(value)"
        case .normal(let mean, let deviation): return "\(mean)±\(deviation)"
        case .uniform(let range): return "\(range.lowerBound)..\(range.upperBound)"
        }
    }
}
