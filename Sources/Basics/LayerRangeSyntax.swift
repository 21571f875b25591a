/// A contiguous range of a model's blocks as the configuration and `batchgate stage --layers` write it: `FIRST-LAST`,
/// both inclusive and counted from 0 (`0-29` is the first thirty blocks), or one block alone (`7`).
public enum LayerRangeSyntax {
    /// The half-open range `text` names, or nil when it is not `N` or `N-M` with `0 <= N <= M`.
    public static func parse(_ text: String) -> Range<Int>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2,
            let first = Int(parts[0].trimmingSpaces), let last = Int(parts[parts.count - 1].trimmingSpaces),
            first >= 0, first <= last, last < Int.max
        else { return nil }
        return first..<(last + 1)
    }

    /// `range` written as `FIRST-LAST`.
    public static func format(_ range: Range<Int>) -> String { "\(range.lowerBound)-\(range.upperBound - 1)" }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
