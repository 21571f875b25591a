import WorkerProtocol

extension SchedulerCore {
    /// Queues `request` and returns its id, or refuses it at once: shutting down, malformed, too long for
    /// the context or one worker's KV cache, the queue full, or no live worker past the grace period. The action
    /// wakes the worker that should take it (`workerToWake(for:at:)`), if one is idle.
    public mutating func submit(
        _ request: GenerationRequest, at now: Duration
    ) throws(SchedulerError) -> (id: UInt64, actions: [Action]) {
        if isDraining { throw SchedulerError(.shuttingDown, "the server is shutting down") }
        guard !request.promptTokens.isEmpty else { throw SchedulerError(.invalidRequest, "the prompt has no tokens") }
        guard request.sampling.maxTokens > 0 else {
            throw SchedulerError(.invalidRequest, "the token limit must be at least 1")
        }
        if !hasLiveWorker && now - lastLiveMoment > limits.unavailableGrace {
            throw SchedulerError(
                .modelUnavailable, "the model has had no live worker for over \(limits.unavailableGrace)",
                retryAfter: .seconds(5))
        }
        let total = request.promptTokens.count + Int(request.sampling.maxTokens)
        if let known = workers.first(where: { $0.kvBlocksTotal > 0 }) {
            if known.contextLength > 0 && total > known.contextLength {
                throw SchedulerError(
                    .contextLengthExceeded,
                    "the prompt (\(request.promptTokens.count) tokens) plus the token limit "
                        + "(\(request.sampling.maxTokens)) is \(total) tokens, over the model's context of "
                        + "\(known.contextLength)")
            }
            let capacity = known.kvBlocksTotal * known.kvBlockSize
            if total > capacity {
                throw SchedulerError(
                    .contextLengthExceeded,
                    "the prompt plus the token limit is \(total) tokens, over one worker's KV cache of \(capacity)")
            }
        }
        let sampling = request.sampling.wire
        let firstChunk =
            Step.encodedSize(decodes: limits.maxRunning, releases: 2 * limits.maxRunning)
            + Admission.encodedSize(tokens: 1, sampling: sampling)
        guard firstChunk <= limits.maxStepBytes else {
            throw SchedulerError(
                .invalidRequest,
                "the request's sampling parameters take \(sampling.encodedSize) bytes; a step to the model's "
                    + "workers carries at most \(limits.maxStepBytes)")
        }
        guard queue.newCount < limits.maxQueue else {
            throw SchedulerError(
                .queueFull, "the model's queue is full (\(limits.maxQueue) waiting)", retryAfter: retryAfter(at: now))
        }
        try refuseIfWaitTooLong(priority: request.priority, at: now)
        let id = takeID()
        let slot = tenantSlots[request.tenant] ?? tenantNames.count
        if slot == tenantNames.count {
            tenantSlots[request.tenant] = slot
            tenantNames.append(request.tenant)
        }
        sequences[id] = Sequence(id: id, request: request, sampling: sampling, arrival: now, tenantSlot: slot)
        if queue.isEmpty { queueLastEmpty = now }
        queue.push(
            WaitingSequence(
                id: id, tenant: request.tenant, priority: request.priority, arrival: now, resumed: false))
        return (id, workerToWake(for: id, at: now).map { [.wakeWorker($0)] } ?? [])
    }

    /// Ends `id` for a client that went away: a waiting request leaves the queue, a running one is released
    /// at its worker's next step. Its stream gets `cancelled` now; unknown or finished ids get nothing.
    public mutating func cancel(_ id: UInt64) -> [Action] {
        end(id, .cancelled).map { [$0] } ?? []
    }

    /// Worker `index` said `hello` and takes steps from now on.
    public mutating func workerStarted(_ index: Int, hello: Hello, at now: Duration) {
        workers[index] = WorkerSlot(
            live: true, kvBlocksTotal: Int(hello.kvBlocksTotal), kvBlockSize: max(1, Int(hello.kvBlockSize)),
            contextLength: Int(hello.contextLength), maxBatchTokens: Int(hello.maxBatchTokens),
            prefixes: PrefixAffinityIndex(capacity: Int(hello.kvBlocksTotal)))
        lastLiveMoment = now
    }

    /// Worker `index` died: every sequence it ran goes back to the front of the queue with its prompt plus
    /// the tokens generated so far, to be recomputed elsewhere (or on the restarted worker).
    ///
    /// The poison-sequence rule: a sequence in the batch of a worker's death (a step was out) becomes a suspect
    /// until its next token, and suspects are recomputed one at a time (`planStep`); one in the batch of a second
    /// death in a row is failed with `workerFailed` instead of requeued, so that one request cannot crash-loop a
    /// model's workers.
    ///
    /// Actions: those failures' finishes, a wake for the worker that should take the requeued sequences (if one is
    /// idle), and last the restart of worker `index`.
    public mutating func workerDied(_ index: Int, at now: Duration) -> [Action] {
        let running = workers[index].running
        let wasLive = workers[index].live
        let inBatch = workers[index].stepping
        workers[index].live = false
        workers[index].stepping = false
        workers[index].running = []
        workers[index].pendingRelease = []
        var actions: [Action] = []
        var poisonedIDs: [UInt64] = []
        for sequence in running {
            if inBatch { sequence.deaths += 1 }
            if sequence.deaths >= 2, !sequence.cancelled {
                sequences[sequence.id] = nil
                poisoned += 1
                let error = SchedulerError(
                    .workerFailed,
                    "the model's worker process died twice in a row while running this request; it is not retried")
                actions.append(finish(sequence, .error(error)))
                poisonedIDs.append(sequence.id)
            } else {
                requeue(sequence.id)
            }
        }
        if wasLive && !hasLiveWorker { lastLiveMoment = now }
        if let waking = workerToWake() { actions.append(.wakeWorker(waking)) }
        actions.append(.restartWorker(index, poisoned: poisonedIDs))
        return actions
    }

    /// Housekeeping at `now`: new requests past the queue timeout are refused, and with no live worker past
    /// the grace period every waiting request fails with "model unavailable". Actions: those finishes, then
    /// `drained` once draining has begun and nothing is held.
    public mutating func tick(at now: Duration) -> [Action] {
        var actions: [Action] = []
        for id in queue.expired(arrivedBy: now - limits.queueTimeout) {
            queue.remove(id)
            if let sequence = sequences.removeValue(forKey: id) {
                let error = SchedulerError(
                    .queueTimeout, "the request waited over \(limits.queueTimeout) for a free slot",
                    retryAfter: retryAfter(at: now))
                actions.append(finish(sequence, .error(error)))
            }
        }
        for sequence in sequences.values {
            guard let timeout = sequence.request.timeout, now - sequence.arrival > timeout, !sequence.cancelled
            else { continue }
            let error = SchedulerError(.requestTimeout, "the request took longer than \(timeout)")
            if let action = end(sequence.id, .error(error)) { actions.append(action) }
        }
        if !hasLiveWorker && now - lastLiveMoment > limits.unavailableGrace {
            for id in queue.allIDs {
                queue.remove(id)
                if let sequence = sequences.removeValue(forKey: id) {
                    let error = SchedulerError(
                        .modelUnavailable, "the model has had no live worker for over \(limits.unavailableGrace)",
                        retryAfter: .seconds(5))
                    actions.append(finish(sequence, .error(error)))
                }
            }
        }
        recentDrains.removeAll { now - $0 > .seconds(30) }
        fairShare.prune(at: now)
        if isDraining && activeCount == 0 { actions.append(.drained) }
        return actions
    }

    /// Stops taking requests; those already held run to their end.
    public mutating func beginDraining() { isDraining = true }

    // MARK: Helpers

    /// Ends `id` with `reason`: a waiting request leaves the queue, a running one is marked so that its worker
    /// releases it at the next step and its tokens are dropped. Nil for unknown or already ended ids.
    mutating func end(_ id: UInt64, _ reason: GenerationFinish.Reason) -> Action? {
        guard let sequence = sequences[id], !sequence.cancelled else { return nil }
        if queue.remove(id) {
            sequences[id] = nil
        } else {
            sequence.cancelled = true
        }
        return finish(sequence, reason)
    }

    mutating func takeID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }

    /// Puts a running sequence back at the front of the queue for recomputation (or drops it if its client
    /// is gone); its worker has already released it or will with `pendingRelease`.
    mutating func requeue(_ id: UInt64) {
        guard let sequence = sequences[id] else { return }
        if sequence.cancelled {
            sequences[id] = nil
            return
        }
        sequence.worker = nil
        sequence.reusedBlocks = []
        sequence.prefill = []
        sequence.prefilled = 0
        sequence.cached = 0
        sequence.decoding = false
        sequence.awaitingToken = false
        sequence.recomputations += 1
        queue.push(
            WaitingSequence(
                id: id, tenant: sequence.request.tenant, priority: sequence.request.priority,
                arrival: sequence.arrival, resumed: true))
    }

    /// The finish action for `sequence` with `reason`.
    func finish(_ sequence: Sequence, _ reason: GenerationFinish.Reason) -> Action {
        .finish(
            id: sequence.id,
            GenerationFinish(
                reason: reason, promptTokens: sequence.request.promptTokens.count,
                completionTokens: sequence.generated.count,
                queueTime: sequence.firstScheduled.map { $0 - sequence.arrival },
                recomputations: sequence.recomputations, cachedPromptTokens: sequence.cachedPromptTokens))
    }
}
