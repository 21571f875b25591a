extension GrammarBuilder {
    /// Alternatives matching the decimal text (no sign, no leading zeros) of every whole number in `low...high`
    /// (`high` nil: any number of at most `maximumDigits` digits).
    mutating func naturals(from low: Int, through high: Int?, maximumDigits: Int = 16) -> [[Symbol]] {
        var alternatives: [[Symbol]] = []
        let lowDigits = String(low).count
        let highDigits = high.map { String($0).count } ?? maximumDigits
        guard lowDigits <= highDigits else { return [] }
        for digits in lowDigits...highDigits {
            let smallest = digits == 1 ? 0 : Self.power(digits - 1)
            let largest = digits >= 19 ? Int.max : Self.power(digits) - 1
            let from = max(low, smallest)
            let to = min(high ?? largest, largest)
            if from <= to { alternatives += sameLength(Array(String(from).utf8), Array(String(to).utf8)) }
        }
        return alternatives
    }

    /// 10 to the power `n`.
    private static func power(_ n: Int) -> Int {
        (0..<n).reduce(1) { r, _ in r.multipliedReportingOverflow(by: 10).overflow ? .max : r * 10 }
    }

    /// Alternatives matching every digit string from `low` to `high`, both of the same length.
    private mutating func sameLength(_ low: [UInt8], _ high: [UInt8]) -> [[Symbol]] {
        guard let l = low.first, let h = high.first else { return [[]] }
        let lowRest = Array(low.dropFirst())
        let highRest = Array(high.dropFirst())
        let anyDigits = [Symbol](
            repeating: .bytes(ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9"))), count: lowRest.count)
        if l == h { return [[.literal([l]), sub(lowRest, highRest)]] }
        if lowRest.allSatisfy({ $0 == UInt8(ascii: "0") }) && highRest.allSatisfy({ $0 == UInt8(ascii: "9") }) {
            return [[.bytes(ByteSet(l...h))] + anyDigits]
        }
        var alternatives: [[Symbol]] = [
            [.literal([l]), sub(lowRest, [UInt8](repeating: UInt8(ascii: "9"), count: lowRest.count))]
        ]
        if l + 1 <= h - 1 { alternatives.append([.bytes(ByteSet((l + 1)...(h - 1)))] + anyDigits) }
        alternatives.append([
            .literal([h]), sub([UInt8](repeating: UInt8(ascii: "0"), count: highRest.count), highRest),
        ])
        return alternatives
    }

    /// A rule for `sameLength(low, high)`.
    private mutating func sub(_ low: [UInt8], _ high: [UInt8]) -> Symbol {
        if low.isEmpty { return .literal([]) }
        return .rule(
            rule(
                "digits-\(String(decoding: low, as: UTF8.self))-\(String(decoding: high, as: UTF8.self))",
                sameLength(low, high)))
    }
}
