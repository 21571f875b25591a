import WorkerProtocol

extension SchedulerCore {
    /// One thing the shell (`ModelScheduler`) must do after an event. An event returns its actions in the order
    /// they are to be carried out: stream events first, then step loops to wake, then what the calling loop does
    /// next (send a step, sleep, restart its worker, return).
    public enum Action: Sendable, Equatable {
        /// Yield a sampled token to request `id`'s stream.
        case deliverToken(id: UInt64, GeneratedToken)
        /// End request `id`'s stream with its finish, the last event it gets.
        case finish(id: UInt64, GenerationFinish)
        /// Send `plan.step` to worker `worker`, then hand its answer to `apply` (`planStep`).
        case sendStep(StepPlan, worker: Int)
        /// Worker `worker` has nothing to run (or is not live, or has a step out): check that it still lives, and
        /// sleep until its step loop is woken (`planStep`).
        case sleep(worker: Int)
        /// Wake worker `worker`'s step loop if it sleeps: a waiting request is for it to take.
        case wakeWorker(Int)
        /// Worker `worker` is down: start it again after the back-off. `poisoned` are the requests failed by the
        /// poison-sequence rule (their finishes come before this action) (`workerDied`).
        case restartWorker(Int, poisoned: [UInt64])
        /// Draining is done, nothing is held: the service may return (`tick`).
        case drained
    }
}
