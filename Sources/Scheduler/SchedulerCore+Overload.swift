/// Degrading gracefully: a step's prompt tokens capped so that decoding sequences keep their inter-token time, and a
/// request refused at once when it would wait past its queue timeout anyway.
extension SchedulerCore {
    /// How far back the drain rate looks at most.
    static let drainWindow = Duration.seconds(30)
    /// The least evidence an early refusal needs: this many admissions, over at least `minimumDrainSpan`.
    static let minimumDrains = 4
    static let minimumDrainSpan = Duration.seconds(1)

    /// Requests leaving the queue per second since it was last empty (at most `drainWindow` back), or `nil` with too
    /// little to go on. Measured only while requests wait, it is the rate the workers take them at, not the rate
    /// they arrive at: a burst after a quiet minute is not judged by the quiet minute.
    func drainRate(at now: Duration) -> Double? {
        let since = max(queueLastEmpty, now - Self.drainWindow)
        let span = now - since
        guard span >= Self.minimumDrainSpan else { return nil }
        let drains = recentDrains.reversed().prefix { $0 >= since }.count
        guard drains >= Self.minimumDrains else { return nil }
        return Double(drains) / (span / .seconds(1))
    }

    /// How long a new request of `priority` would wait before it starts, from the requests ahead of it and the
    /// drain rate, or `nil` without a drain rate.
    public func estimatedWait(priority: Int, at now: Duration) -> Duration? {
        guard let rate = drainRate(at: now) else { return nil }
        let ahead = queue.countAhead(ofPriority: priority)
        return .seconds(Double(ahead + 1) / rate)
    }

    /// Seconds a refused client should wait: the queue's length over the drain rate, 1 s to 60 s (1 s without a
    /// drain rate).
    public func retryAfter(at now: Duration) -> Duration {
        guard let rate = drainRate(at: now) else { return .seconds(1) }
        return Self.wholeSeconds(Double(queue.count + 1) / rate)
    }

    /// `seconds` rounded up to whole seconds, 1 to 60: what `Retry-After` carries.
    static func wholeSeconds(_ seconds: Double) -> Duration {
        .seconds(Int(min(60, max(1, seconds.rounded(.up)))))
    }

    /// Refuses a request that would wait past `queueTimeout` at the measured drain rate: it would only fail later,
    /// having held a place in the queue. `Retry-After` is the time until it would start within the timeout.
    func refuseIfWaitTooLong(priority: Int, at now: Duration) throws(SchedulerError) {
        guard let wait = estimatedWait(priority: priority, at: now), wait > limits.queueTimeout else { return }
        let seconds = wait / .seconds(1)
        throw SchedulerError(
            .overloaded,
            "the model is overloaded: a request now would wait about \(Int(seconds.rounded(.up))) s, "
                + "over its queue timeout of \(limits.queueTimeout)",
            retryAfter: Self.wholeSeconds((wait - limits.queueTimeout) / .seconds(1)))
    }

    /// The estimated time of a step of `decodes` decodes and `prefillTokens` prompt tokens, from the steps applied so
    /// far; `nil` until both decode-only steps and steps with prompt tokens have been seen.
    public func estimatedStepCost(decodes: Int, prefillTokens: Int) -> Duration? {
        stepCost.cost(decodes: decodes, prefill: prefillTokens).map { .seconds($0) }
    }

    /// The most prompt tokens worker `index`'s next step may carry beside its `decodes` decodes so that it stays
    /// within `limits.targetITL`, or `nil` for no cap (no target, nothing decoding, or no cost measured yet). At
    /// least one KV block's worth, so that prompts still move when the decodes alone take the target.
    func prefillCap(decodes: Int, on index: Int) -> Int? {
        guard limits.targetITL > .zero, decodes > 0,
            let tokens = stepCost.prefillBudget(decodes: decodes, within: limits.targetITL / .seconds(1))
        else { return nil }
        return max(tokens, workers[index].kvBlockSize)
    }

    /// Learns from worker `index`'s step out, now answered.
    mutating func learnStepCost(of index: Int, at now: Duration) {
        guard let planned = workers[index].stepPlanned else { return }
        workers[index].stepPlanned = nil
        stepCost.observe(decodes: planned.decodes, prefill: planned.prefill, seconds: (now - planned.at) / .seconds(1))
    }
}
