import Basics
import Histogram
import Synchronization

/// Latency histogram in microseconds (3 significant digits, up to one hour).
typealias LatencyHistogram = Histogram<UInt64>

extension Histogram where Count == UInt64 {
    /// An empty latency histogram that grows to the values it is given.
    static func latency(digits: SignificantDigits = .three) -> Histogram<UInt64> {
        Histogram(numberOfSignificantValueDigits: digits)
    }

    /// Records `nanoseconds`, in microseconds, clamped to the trackable range.
    mutating func recordNanoseconds(_ nanoseconds: Int64) {
        _ = record(UInt64(Swift.min(Swift.max(nanoseconds / 1000, 1), 3_600_000_000)))
    }
}

/// Everything measured in a run, gathered as requests finish. One lock per finished request.
final class RunRecorder: Sendable {
    /// The measurements; corrected figures start at the due time, uncorrected ones at the send time.
    struct State: Sendable {
        var sent = 0
        var inFlight = 0
        var completed = 0
        var good = 0
        var failures: [FailureKind: Int] = [:]
        var outputTokens = 0
        var promptTokens = 0
        /// Cached prompt tokens of the completed requests whose server reported them, and the prompt tokens of
        /// those requests (their usage's, else the generator's count).
        var cachedTokens = 0
        var cachedOfPromptTokens = 0
        var cacheReports = 0
        var firstScheduled: Int64?
        var lastEnd: Int64 = 0
        var ttft = LatencyHistogram.latency()
        var ttftUncorrected = LatencyHistogram.latency()
        var e2e = LatencyHistogram.latency()
        var e2eUncorrected = LatencyHistogram.latency()
        var tpot = LatencyHistogram.latency()
        var itl = LatencyHistogram.latency()
        /// Per window of `windowNanoseconds` by due time: corrected TTFT and end-to-end latency.
        var windows: [Int: (ttft: LatencyHistogram, e2e: LatencyHistogram)] = [:]
    }

    /// Width of the windows of the latency-over-time chart.
    let windowNanoseconds: Int64
    let serviceLevels: [ServiceLevel]
    private let state = Mutex(State())

    init(serviceLevels: [ServiceLevel], windowNanoseconds: Int64 = 1_000_000_000) {
        self.serviceLevels = serviceLevels
        self.windowNanoseconds = windowNanoseconds
    }

    /// A request is handed to the HTTP client.
    func sending() {
        state.withLock {
            $0.sent += 1
            $0.inFlight += 1
        }
    }

    /// A request ended; a cancelled one (Ctrl-C) is dropped from every figure.
    func finished(_ outcome: RequestOutcome, promptTokens: Int?, cancelled: Bool) {
        let good = outcome.failure == nil && meetsServiceLevels(outcome)
        state.withLock { state in
            state.inFlight -= 1
            if cancelled {
                state.sent -= 1
                return
            }
            state.firstScheduled = min(state.firstScheduled ?? outcome.scheduled, outcome.scheduled)
            state.lastEnd = max(state.lastEnd, outcome.end)
            if let failure = outcome.failure {
                state.failures[failure, default: 0] += 1
                return
            }
            state.completed += 1
            if good { state.good += 1 }
            state.outputTokens += outcome.outputTokens
            state.promptTokens += promptTokens ?? 0
            if let cached = outcome.cachedTokens {
                state.cacheReports += 1
                state.cachedTokens += cached
                state.cachedOfPromptTokens += outcome.reportedPromptTokens ?? promptTokens ?? 0
            }
            let first = outcome.firstToken ?? outcome.end
            state.ttft.recordNanoseconds(first - outcome.scheduled)
            state.ttftUncorrected.recordNanoseconds(first - outcome.sent)
            state.e2e.recordNanoseconds(outcome.end - outcome.scheduled)
            state.e2eUncorrected.recordNanoseconds(outcome.end - outcome.sent)
            if let perToken = Self.timePerOutputToken(outcome) { state.tpot.recordNanoseconds(perToken) }
            for gap in outcome.gaps { state.itl.recordNanoseconds(gap) }
            let window = Int(outcome.scheduled / windowNanoseconds)
            // Mutated in place: a copy of the pair would copy both histograms' counts on every request.
            if state.windows[window] == nil {
                state.windows[window] = (LatencyHistogram.latency(digits: .two), LatencyHistogram.latency(digits: .two))
            }
            state.windows[window]!.ttft.recordNanoseconds(first - outcome.scheduled)
            state.windows[window]!.e2e.recordNanoseconds(outcome.end - outcome.scheduled)
        }
    }

    /// (end − first token) / (tokens − 1), or nil for fewer than two tokens.
    static func timePerOutputToken(_ outcome: RequestOutcome) -> Int64? {
        guard let first = outcome.firstToken, outcome.outputTokens > 1 else { return nil }
        return (outcome.end - first) / Int64(outcome.outputTokens - 1)
    }

    /// Whether a successful request met every objective's threshold (its own TTFT, TPOT, end-to-end latency, and
    /// its inter-token gaps at the objective's percentile).
    func meetsServiceLevels(_ outcome: RequestOutcome) -> Bool {
        serviceLevels.allSatisfy { level in
            let limit = level.threshold.inNanoseconds
            switch level.metric {
            case .ttft: return (outcome.firstToken ?? outcome.end) - outcome.scheduled <= limit
            case .e2e: return outcome.end - outcome.scheduled <= limit
            case .tpot: return (Self.timePerOutputToken(outcome) ?? 0) <= limit
            case .itl:
                guard !outcome.gaps.isEmpty else { return true }
                let sorted = outcome.gaps.sorted()
                let index = min(sorted.count - 1, Int((level.percentile / 100 * Double(sorted.count)).rounded(.up)) - 1)
                return sorted[max(0, index)] <= limit
            }
        }
    }

    /// What the progress line shows: sent, completed, failed, in flight, p99 TTFT so far in milliseconds.
    func progress() -> (sent: Int, completed: Int, failed: Int, inFlight: Int, ttftP99: Double) {
        state.withLock { state in
            (
                state.sent, state.completed, state.failures.values.reduce(0, +), state.inFlight,
                state.completed > 0 ? Double(state.ttft.valueAtPercentile(99)) / 1000 : 0
            )
        }
    }

    /// In-flight requests.
    var inFlight: Int { state.withLock { $0.inFlight } }

    /// A copy of the measurements so far.
    func snapshot() -> State { state.withLock { $0 } }
}
