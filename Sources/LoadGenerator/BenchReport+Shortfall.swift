extension BenchReport {
    /// Why the run measured nothing it was asked for, or nil: no request completed (every one failed, or none was
    /// sent), or a sweep found no rate that meets its objectives. `batchgate bench` then exits 1, after writing the
    /// report.
    public var shortfall: String? {
        if requests_completed == 0 {
            guard requests_sent > 0 else { return "no request was sent" }
            let kinds = errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "every request failed (\(requests_failed): \(kinds))"
        }
        if let sweep, sweep.max_rate_within_slo == nil {
            return "no rate met the SLO (\(sweep.slo.joined(separator: ", "))) in \(sweep.steps.count) steps"
        }
        return nil
    }
}
