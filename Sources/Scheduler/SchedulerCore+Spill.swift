extension SchedulerCore {
    /// Whether `submit` would refuse a new request at `now` for want of room rather than for what it asks: the
    /// queue is full, the model has had no live worker past the grace period, or the scheduler is draining. A
    /// gateway in a cluster sends such a request to a peer instead.
    public func refusesForCapacity(at now: Duration) -> Bool {
        isDraining || queue.newCount >= limits.maxQueue
            || (!hasLiveWorker && now - lastLiveMoment > limits.unavailableGrace)
    }
}
