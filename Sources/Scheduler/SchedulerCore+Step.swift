import WorkerProtocol

extension SchedulerCore {
    /// Plans worker `index`'s next step, or returns `nil` when it has nothing to run (or is not live, or
    /// has a step out). Every running sequence decodes; sequences that would outgrow the free KV blocks
    /// preempt the lowest-priority, youngest ones; the rest of the token budget goes to prompt chunks,
    /// first of prompts already started, then of new requests in queue order, each admitted only while
    /// `maxRunning` and the free KV blocks (for its whole prompt) allow. The step's encoding stays within
    /// `limits.maxStepBytes`: a chunk that would not fit is shortened or waits for the next step. A suspect
    /// (a sequence in the batch of a worker's death, until its next token) joins a worker only as the first
    /// admission of a step and when no other suspect runs there, and no other sequence joins while it runs: so a
    /// second death in its batch points at it, or at sequences that were running before it came.
    ///
    /// Actions: a wake for the worker that prefix placement left a request to (if it is idle), then `sendStep` with
    /// the plan, or `sleep` when there is nothing to send.
    public mutating func planStep(for index: Int, at now: Duration) -> [Action] {
        let plan = plannedStep(for: index, at: now)
        let step: Action = plan.map { .sendStep($0, worker: index) } ?? .sleep(worker: index)
        // A request left for another worker by prefix placement wakes that worker if it sleeps.
        guard let routed = takeRoutedWake() else { return [step] }
        return [.wakeWorker(routed), step]
    }

    /// The step `planStep` sends to worker `index`, or nil.
    private mutating func plannedStep(for index: Int, at now: Duration) -> StepPlan? {
        guard workers[index].live, !workers[index].stepping else { return nil }
        var release = workers[index].pendingRelease
        workers[index].pendingRelease = []

        // Sequences whose clients left are released.
        var gone: [UInt64] = []
        for sequence in workers[index].running where sequence.cancelled { gone.append(sequence.id) }
        if !gone.isEmpty {
            for id in gone { sequences[id] = nil }
            workers[index].running.removeAll { $0.cancelled }
            release += gone
        }
        let worker = workers[index]

        // Decodes, preempting while they would not fit.
        var preempted = 0
        var (committed, growth) = kvAccounting(on: index)
        while growth > workers[index].kvBlocksTotal - committed, let victim = preemptionVictim(on: index) {
            workers[index].running.removeAll { $0.id == victim }
            release.append(victim)
            requeue(victim)
            preempted += 1
            (committed, growth) = kvAccounting(on: index)
        }
        preemptions += preempted
        var free = workers[index].kvBlocksTotal - committed - growth

        let budgetLimit =
            worker.maxBatchTokens > 0 ? min(limits.maxBatchTokens, worker.maxBatchTokens) : limits.maxBatchTokens
        var decode: [UInt64] = []
        decode.reserveCapacity(workers[index].running.count)
        var admit: [Admission] = []
        var prefillTokens = 0
        var charges = Array(repeating: 0, count: tenantNames.count)
        var prefilling: [UInt64] = []
        for sequence in workers[index].running {
            guard sequence.decoding else {
                prefilling.append(sequence.id)
                continue
            }
            sequence.cached += 1
            sequence.awaitingToken = true
            decode.append(sequence.id)
            charges[sequence.tenantSlot] += 1
        }
        for (slot, tokens) in charges.enumerated() where tokens > 0 {
            fairShare.charge(tenantNames[slot], tokens: tokens, at: now)
        }
        var budget = budgetLimit - decode.count
        // Decoding sequences wait for this step: its prompt tokens are capped so that it stays within target_itl.
        if let cap = prefillCap(decodes: decode.count, on: index) { budget = min(budget, cap) }
        var stepBytes = Step.encodedSize(decodes: decode.count, releases: release.count)

        // Prompts already started continue, oldest first.
        for id in prefilling where budget > 0 {
            let fitting = min(budget, tokensFitting(limits.maxStepBytes - stepBytes, for: id))
            guard fitting > 0 else { break }
            let chunk = nextChunk(of: id, budget: fitting, at: now)
            admit.append(chunk)
            budget -= chunk.tokens.count
            stepBytes += chunk.encodedSize
            prefillTokens += chunk.tokens.count
        }

        // New admissions in queue order; none while a suspect runs here, which joins only as a step's first.
        var suspectRunning = workers[index].running.contains { $0.deaths > 0 }
        var admittedNew = 0
        while budget > 0 && workers[index].running.count < limits.maxRunning && !suspectRunning {
            guard var next = nextWaiting(for: index, at: now) else { break }
            if !next.resumed, let headroom = headroomTenant(on: index, at: now), next.tenant == headroom {
                // The last slots are kept for other tenants: one of the same priority may take them; nobody of
                // a lower priority jumps ahead.
                let best = next
                guard
                    let other = nextWaiting(for: index, at: now, allowed: { $0.tenant != headroom && !$0.resumed }),
                    other.priority == best.priority
                else { break }
                next = other
            }
            let sequence = sequences[next.id]!
            if sequence.deaths > 0 {
                guard admittedNew == 0 else { break }
                suspectRunning = true
            }
            let prompt = sequence.request.promptTokens + sequence.generated
            let needed = blocks(prompt.count, on: index)
            guard needed <= free else { break }
            let fitting = min(budget, tokensFitting(limits.maxStepBytes - stepBytes, for: next.id))
            guard fitting > 0 else { break }
            queue.pop(next)
            free -= needed
            sequences[next.id]!.worker = index
            sequences[next.id]!.prefill = prompt
            if sequence.firstScheduled == nil {
                sequences[next.id]!.firstScheduled = now
                recentDrains.append(now)
            }
            workers[index].running.append(sequences[next.id]!)
            rememberPrefix(prompt, on: index, at: now)
            let chunk = nextChunk(of: next.id, budget: fitting, at: now)
            admittedNew += 1
            admit.append(chunk)
            budget -= chunk.tokens.count
            stepBytes += chunk.encodedSize
            prefillTokens += chunk.tokens.count
        }

        if queue.isEmpty {
            // A busy period ended: the next one measures its drain rate afresh.
            queueLastEmpty = now
            recentDrains.removeAll()
        }
        if admit.isEmpty && decode.isEmpty {
            // Nothing to run: keep the releases for the next real step (the core already counts them free).
            workers[index].pendingRelease = release
            return nil
        }
        workers[index].stepping = true
        workers[index].stepPlanned = (now, decode.count, prefillTokens)
        workers[index].awaiting = decode.count + admit.count { $0.isLastChunk }
        let step = Step(stepID: nextStepID, admit: admit, decode: decode, release: release)
        nextStepID += 1
        return StepPlan(step: step, prefillTokens: prefillTokens, preempted: preempted)
    }

    /// Takes in worker `index`'s answer to its step: tokens reach their streams, finished sequences are
    /// released at the next step, a sequence that ran out of KV blocks is recomputed, other failures end
    /// their request with an error.
    ///
    /// Actions: a token for each sequence that got one and a finish for each that ended, then, while requests wait,
    /// a wake for the idle worker with the most room (`workerToWake()`).
    public mutating func apply(_ result: StepResult, from index: Int, at now: Duration) -> [Action] {
        var actions = applied(result, from: index, at: now)
        if waitingCount > 0, let waking = workerToWake() { actions.append(.wakeWorker(waking)) }
        return actions
    }

    /// The stream events of `apply`.
    private mutating func applied(_ result: StepResult, from index: Int, at now: Duration) -> [Action] {
        guard workers[index].stepping else { return [] }
        workers[index].stepping = false
        learnStepCost(of: index, at: now)
        var actions: [Action] = []
        actions.reserveCapacity(result.tokens.count + 1)
        for hit in result.prefixHits { notePrefixHit(hit, from: index) }

        for error in result.errors {
            guard let sequence = sequences[error.sequenceID], sequence.worker == index else { continue }
            workers[index].running.removeAll { $0.id == error.sequenceID }
            if sequence.cancelled {
                sequences[error.sequenceID] = nil
            } else if error.code == .outOfKVBlocks {
                preemptions += 1
                requeue(error.sequenceID)
            } else {
                sequences[error.sequenceID] = nil
                let failure = SchedulerError(.sequenceFailed, "the worker failed the sequence: \(error.message)")
                actions.append(finish(sequence, .error(failure)))
            }
        }

        var finished: [UInt64] = []
        var answered = 0
        for sampled in result.tokens {
            let id = sampled.sequenceID
            guard let sequence = sequences[id], sequence.awaitingToken, sequence.worker == index else { continue }
            sequence.awaitingToken = false
            sequence.deaths = 0
            answered += 1
            if sequence.cancelled { continue }
            sequence.generated.append(sampled.token)
            sequence.decoding = true
            actions.append(
                .deliverToken(
                    id: id,
                    GeneratedToken(
                        token: sampled.token, logprob: sampled.logprob,
                        topLogprobs: sampled.topLogprobs.map { .init(token: $0.token, logprob: $0.logprob) },
                        cachedPromptTokens: sequence.generated.count == 1 && sequence.cachedPromptTokens > 0
                            ? sequence.cachedPromptTokens : nil)))
            let reason: GenerationFinish.Reason?
            switch sampled.finish {
            case .endOfSequence, .stopToken: reason = .stop
            case .maxTokens, .contextFull: reason = .length
            case nil: reason = sequence.remainingTokens <= 0 ? .length : nil
            }
            if let reason {
                sequences[id] = nil
                actions.append(finish(sequence, reason))
                finished.append(id)
                // What the worker keeps cached: the prompt and the generated tokens fed back (all but the last).
                rememberPrefix(sequence.request.promptTokens + sequence.generated.dropLast(), on: index, at: now)
            }
        }
        if !finished.isEmpty {
            let done = Set(finished)
            workers[index].running.removeAll { done.contains($0.id) }
            workers[index].pendingRelease += finished
        }

        // A sequence the worker neither answered nor failed: the worker broke the protocol for it.
        var unanswered: [UInt64] = []
        if answered < workers[index].awaiting {
            for sequence in workers[index].running where sequence.awaitingToken { unanswered.append(sequence.id) }
        }
        for id in unanswered {
            let sequence = sequences.removeValue(forKey: id)!
            workers[index].running.removeAll { $0.id == id }
            workers[index].pendingRelease.append(id)
            if !sequence.cancelled {
                let failure = SchedulerError(.sequenceFailed, "the worker returned no token for the sequence")
                actions.append(finish(sequence, .error(failure)))
            }
        }
        return actions
    }

    // MARK: Helpers

    /// The next prompt chunk of running sequence `id`, at most `budget` tokens; charges its tenant.
    private mutating func nextChunk(of id: UInt64, budget: Int, at now: Duration) -> Admission {
        let start = sequences[id]!.prefilled
        var count = min(budget, sequences[id]!.prefill.count - start)
        if limits.prefixCaching, start + count < sequences[id]!.prefill.count, let worker = sequences[id]!.worker {
            // End on a block boundary, so that the next chunk starts on one and may reuse cached blocks.
            let size = workers[worker].kvBlockSize
            if count > size { count -= (start + count) % size }
        }
        let tokens = Array(sequences[id]!.prefill[start..<(start + count)])
        sequences[id]!.prefilled += count
        sequences[id]!.cached += count
        let isLast = sequences[id]!.prefilled == sequences[id]!.prefill.count
        if isLast { sequences[id]!.awaitingToken = true }
        let sequence = sequences[id]!
        fairShare.charge(sequence.request.tenant, tokens: count, at: now)
        var sampling: SamplingParameters?
        if start == 0 {
            var parameters = sequence.sampling
            parameters.maxTokens = UInt32(sequence.remainingTokens)
            // A recomputed sequence's prompt ends with what it generated: its grammar reads those tokens first.
            parameters.constraint?.generatedPrefix = UInt32(sequence.generated.count)
            sampling = parameters
        }
        return Admission(
            sequenceID: id, firstPosition: UInt32(start), tokens: tokens, isLastChunk: isLast, sampling: sampling)
    }

    /// The waiting request worker `index` should take next among those `allowed` admits, leaving those that prefix
    /// placement sends to another worker (`preferredWorker`); the first such worker is noted in `routedWake`.
    private mutating func nextWaiting(
        for index: Int, at now: Duration, allowed: (WaitingSequence) -> Bool = { _ in true }
    ) -> WaitingSequence? {
        guard workers.count > 1, limits.prefixAffinityMinTokens > 0 else {
            return queue.next(fairShare: fairShare, at: now, allowed: allowed)
        }
        // The queue is moved out while it is searched, so that the filter may read the rest of the core (a
        // `~Copyable` core cannot be copied for it, and the queue is not read by `preferredWorker`).
        var waiting = WaitingQueue()
        swap(&waiting, &queue)
        defer { swap(&waiting, &queue) }
        var routed: Int?
        let shares = fairShare
        let next = waiting.next(fairShare: shares, at: now) { item in
            guard allowed(item) else { return false }
            if let preferred = preferredWorker(for: item.id, over: index, at: now) {
                if routed == nil { routed = preferred }
                return false
            }
            return true
        }
        if let routed { routedWake = routed }
        return next
    }

    /// How many prompt tokens of sequence `id`'s next chunk fit in `room` bytes of a step (its sampling parameters
    /// travel with its first chunk; a waiting sequence, new or requeued, has prefilled nothing).
    private func tokensFitting(_ room: Int, for id: UInt64) -> Int {
        let sequence = sequences[id]!
        let sampling = sequence.prefilled == 0 ? sequence.sampling : nil
        let perToken = MemoryLayout<Int32>.size
        return max(0, (room - Admission.encodedSize(tokens: 0, sampling: sampling)) / perToken)
    }

    /// KV blocks worker `index`'s running sequences hold or have reserved for their prompts, and the extra blocks
    /// its decoding sequences need for one more token each, in one pass.
    func kvAccounting(on index: Int) -> (committed: Int, growth: Int) {
        let size = workers[index].kvBlockSize
        var committed = 0
        var growth = 0
        var shared: Set<UInt64> = []
        for s in workers[index].running {
            let held = (max(s.cached, s.prefill.count) + size - 1) / size
            // Blocks reused from the prefix cache are one block however many sequences hold them.
            committed += held - s.reusedBlocks.count
            if !s.reusedBlocks.isEmpty { shared.formUnion(s.reusedBlocks) }
            if s.decoding { growth += (s.cached + size) / size - held }
        }
        return (committed + shared.count, growth)
    }

    /// The running sequence to preempt on worker `index`: the lowest priority, then the youngest.
    private func preemptionVictim(on index: Int) -> UInt64? {
        workers[index].running.min { x, y in
            if x.request.priority != y.request.priority { return x.request.priority < y.request.priority }
            return x.arrival > y.arrival
        }?.id
    }

    /// The tenant that may not take worker `index`'s last free slots: the one holding the most of its running
    /// slots, while another tenant has been served within the fair-share half-life. `nil` when no headroom applies.
    private func headroomTenant(on index: Int, at now: Duration) -> String? {
        let slotsLeft = limits.maxRunning - workers[index].running.count
        guard limits.tenantHeadroomSlots > 0, slotsLeft <= limits.tenantHeadroomSlots else { return nil }
        var held: [String: Int] = [:]
        for sequence in workers[index].running { held[sequence.request.tenant, default: 0] += 1 }
        guard let dominant = held.max(by: { $0.value < $1.value })?.key else { return nil }
        let othersActive = fairShare.activeTenants(at: now).contains { $0 != dominant }
        return othersActive ? dominant : nil
    }
}
