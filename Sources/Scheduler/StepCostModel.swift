/// What a step costs, learned from the steps a model's workers ran: time ≈ base + perDecode × decodes + perPrefill ×
/// prompt tokens, fitted by least squares over the recent steps (each older step weighs `decay` times less than the
/// one after it, so the fit follows a model whose cost drifts: longer contexts, a busier host).
///
/// The planner asks it how many prompt tokens fit beside a step's decodes within `target_itl`. It says nothing
/// until it has seen both kinds of step (decode-only and with prompt tokens), so that the prompt coefficient is
/// measured, not guessed.
struct StepCostModel {
    /// How much each older step weighs against the next: 0.95 gives the last ~20 steps most of the weight.
    var decay = 0.95
    /// A small ridge on the slopes keeps the fit solvable while one feature has not varied yet (every step with
    /// the same number of decodes): the prediction at the seen values stays right, the split between base and slope
    /// is what the ridge picks.
    var ridge = 1e-9
    /// Steps seen with prompt tokens, and without: the fit answers once both are at least `minimumSteps`.
    private(set) var prefillSteps = 0
    private(set) var decodeOnlySteps = 0
    let minimumSteps = 3
    /// The decayed normal equations: XᵀX (3 × 3, symmetric) and Xᵀy for features (1, decodes, prompt tokens).
    private var xtx = [Double](repeating: 0, count: 9)
    private var xty = [Double](repeating: 0, count: 3)
    /// The fitted coefficients (seconds): base, per decode, per prompt token; `nil` until `isReady`.
    private(set) var coefficients: (base: Double, perDecode: Double, perPrefill: Double)?

    /// Whether the model predicts: both kinds of step seen, and a positive cost per prompt token fitted.
    var isReady: Bool { coefficients != nil }

    /// Learns from a step of `decodes` decodes and `prefill` prompt tokens that took `seconds`.
    mutating func observe(decodes: Int, prefill: Int, seconds: Double) {
        guard seconds.isFinite, seconds >= 0, decodes + prefill > 0 else { return }
        let x = [1, Double(decodes), Double(prefill)]
        for row in 0..<3 {
            xty[row] = xty[row] * decay + x[row] * seconds
            for column in 0..<3 { xtx[row * 3 + column] = xtx[row * 3 + column] * decay + x[row] * x[column] }
        }
        if prefill > 0 { prefillSteps += 1 } else { decodeOnlySteps += 1 }
        coefficients = fitted()
    }

    /// The estimated time of a step with `decodes` decodes and `prefill` prompt tokens, or `nil` before `isReady`.
    func cost(decodes: Int, prefill: Int) -> Double? {
        guard let c = coefficients else { return nil }
        return max(0, c.base + c.perDecode * Double(decodes)) + c.perPrefill * Double(prefill)
    }

    /// The most prompt tokens a step with `decodes` decodes may carry to stay within `target` seconds, or `nil`
    /// before `isReady`. Zero when the decodes alone take the target.
    func prefillBudget(decodes: Int, within target: Double) -> Int? {
        guard let c = coefficients, let decodeCost = cost(decodes: decodes, prefill: 0) else { return nil }
        let room = target - decodeCost
        guard room > 0 else { return 0 }
        let tokens = room / c.perPrefill
        return tokens >= Double(Int.max) ? Int.max : Int(tokens)
    }

    /// Solves the ridge-regularised normal equations (Gaussian elimination with partial pivoting).
    private func fitted() -> (base: Double, perDecode: Double, perPrefill: Double)? {
        guard prefillSteps >= minimumSteps, decodeOnlySteps >= minimumSteps else { return nil }
        var a = xtx
        var b = xty
        for i in 1..<3 { a[i * 3 + i] += ridge * max(1, a[i * 3 + i]) }
        for column in 0..<3 {
            let pivot = (column..<3).max { abs(a[$0 * 3 + column]) < abs(a[$1 * 3 + column]) }!
            guard abs(a[pivot * 3 + column]) > 1e-300 else { return nil }
            if pivot != column {
                for k in 0..<3 { a.swapAt(pivot * 3 + k, column * 3 + k) }
                b.swapAt(pivot, column)
            }
            for row in (column + 1)..<3 {
                let factor = a[row * 3 + column] / a[column * 3 + column]
                for k in column..<3 { a[row * 3 + k] -= factor * a[column * 3 + k] }
                b[row] -= factor * b[column]
            }
        }
        var solution = [0.0, 0, 0]
        for row in stride(from: 2, through: 0, by: -1) {
            var sum = b[row]
            for k in (row + 1)..<3 { sum -= a[row * 3 + k] * solution[k] }
            solution[row] = sum / a[row * 3 + row]
        }
        guard solution.allSatisfy(\.isFinite), solution[2] > 0 else { return nil }
        return (solution[0], solution[1], solution[2])
    }
}
