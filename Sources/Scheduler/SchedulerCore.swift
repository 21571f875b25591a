import WorkerProtocol

/// The scheduling state of one model as a state machine: its waiting queue, its running sequences on each worker,
/// and the KV blocks they hold. Each event (`submit`, `cancel`, `workerStarted`, `planStep`, `apply`, `workerDied`,
/// `tick`, `beginDraining`) is a `mutating` method that returns the `Action`s the shell must carry out: tokens and
/// finishes for streams, a step for a worker, a step loop to wake, a worker to restart. `ModelScheduler` runs the
/// events under its lock and carries out the actions outside it; the tests drive them directly with a fake engine.
///
/// `~Copyable`: the running sequences are reference boxes (see `Sequence`), so a copy of a core would share them
/// with the original and the two would corrupt each other. The type system forbids the copy; a core moves (into
/// `ModelScheduler`'s `Mutex`, or within a test) and is otherwise borrowed or mutated in place.
///
/// Time is a `Duration` since the scheduler started, passed in, so tests control the clock.
public struct SchedulerCore: ~Copyable {
    /// A request the core holds, waiting or running.
    ///
    /// A reference, so that the per-step loops over hundreds of running sequences touch one object each instead of
    /// copying a struct full of arrays in and out of the table (360 -> 40 us per step in BENCHMARKS.md). Not
    /// `Sendable`: a sequence belongs to exactly one core, which cannot be copied, and is only touched through it.
    final class Sequence {
        let id: UInt64
        let request: GenerationRequest
        let arrival: Duration
        /// The tenant's index in `tenantNames`.
        let tenantSlot: Int
        /// Tokens delivered to the client so far.
        var generated: [Int32] = []
        /// When its first chunk was first scheduled.
        /// The request's sampling as the worker protocol carries it (mapped once, sent with the first chunk).
        let sampling: SamplingParameters
        var firstScheduled: Duration?
        var recomputations = 0
        /// Where it runs, while it runs.
        var worker: Int?
        /// What the worker must prefill: the prompt, plus the generated tokens after a recomputation.
        var prefill: [Int32] = []
        /// How much of `prefill` has been sent.
        var prefilled = 0
        /// Tokens in the worker's KV cache once the planned steps ran.
        var cached = 0
        /// Whether a sampled token is pending, so the next step decodes it.
        var decoding = false
        /// Whether the client cancelled it while it ran.
        var cancelled = false
        /// Whether the step out must answer it with a token or an error.
        var awaitingToken = false
        /// Worker deaths in a row that it was in the batch of (reset by its next token). One makes it a suspect
        /// that runs alone; two fail it (the poison-sequence rule).
        var deaths = 0
        /// Prompt tokens the worker took from its prefix cache on the request's first admission (usage reports it).
        var cachedPromptTokens = 0
        /// Chain hashes of the KV blocks the worker reused for this admission: shared read-only with any other
        /// sequence there that reused them, so `kvAccounting` counts each once.
        var reusedBlocks: [UInt64] = []
        /// The chain hashes of its prefill tokens, for placement, with the token count they were computed for.
        var chainCache: (tokens: Int, hashes: [UInt64])?

        var remainingTokens: Int { Int(request.sampling.maxTokens) - generated.count }

        init(id: UInt64, request: GenerationRequest, sampling: SamplingParameters, arrival: Duration, tenantSlot: Int) {
            self.id = id
            self.request = request
            self.sampling = sampling
            self.arrival = arrival
            self.tenantSlot = tenantSlot
        }
    }

    /// One worker as the core sees it.
    struct WorkerSlot {
        var live = false
        var kvBlocksTotal = 0
        var kvBlockSize = 16
        var contextLength = 0
        var maxBatchTokens = 0
        /// Its running sequences, in admission order.
        var running: [Sequence] = []
        /// Sequences to release at its next step.
        var pendingRelease: [UInt64] = []
        /// Whether a step is out (planned, not yet applied).
        var stepping = false
        /// How many sequences the step out must answer with a token or an error.
        var awaiting = 0
        /// When its step out was planned, with its decodes and prompt tokens (what `stepCost` learns from).
        var stepPlanned: (at: Duration, decodes: Int, prefill: Int)?
        /// The prefixes it is thought to hold in cached KV blocks (kept only with two or more workers).
        var prefixes = PrefixAffinityIndex()
    }

    /// What `planStep` decided for one worker: the step to send, with what it carries, or nothing to do.
    public struct StepPlan: Sendable, Equatable {
        /// The step message.
        public var step: Step
        /// Prefill tokens in the step.
        public var prefillTokens: Int
        /// Sequences preempted to make room (re-queued for recomputation).
        public var preempted: Int
        /// Whether the step does any work (a release-only step does none).
        public var isEmpty: Bool { step.admit.isEmpty && step.decode.isEmpty }
    }

    /// The limits in force.
    public var limits: SchedulerLimits
    var queue = WaitingQueue()
    var sequences: [UInt64: Sequence] = [:]
    var workers: [WorkerSlot]
    var fairShare: FairShare
    /// Every tenant seen, by slot, and each tenant's slot (per-step charges are summed per slot).
    var tenantNames: [String] = []
    var tenantSlots: [String: Int] = [:]
    var nextID: UInt64 = 1
    var nextStepID: UInt64 = 1
    /// When the model last had a live worker (or started).
    var lastLiveMoment: Duration
    /// Admissions out of the queue, with their times, for the drain rate.
    var recentDrains: [Duration] = []
    /// The last moment the queue was seen empty: the drain rate is measured only since then (see `drainRate`).
    var queueLastEmpty: Duration
    /// What a step costs, learned from the steps applied (see `StepCostModel`); the planner keeps steps under
    /// `limits.targetITL` with it.
    var stepCost = StepCostModel()
    /// Whether submissions are refused because the scheduler is shutting down.
    public internal(set) var isDraining = false
    /// Counters the metrics read.
    public internal(set) var preemptions = 0
    /// Sequences failed by the poison-sequence rule (see `workerDied`).
    public internal(set) var poisoned = 0
    /// A worker a request was left for by prefix placement during the last `planStep` (see `takeRoutedWake`).
    var routedWake: Int?

    /// A core for `workerCount` workers (none live until `workerStarted`), with its clock at `now`.
    public init(limits: SchedulerLimits, workerCount: Int, now: Duration = .zero) {
        self.limits = limits
        workers = Array(repeating: WorkerSlot(), count: max(1, workerCount))
        fairShare = FairShare(halfLife: limits.fairShareHalfLife)
        lastLiveMoment = now
        queueLastEmpty = now
    }

    // MARK: Observations

    /// Requests waiting.
    public var waitingCount: Int { queue.count }
    /// Sequences running on any worker.
    public var runningCount: Int { workers.reduce(0) { $0 + $1.running.count } }
    /// Requests held (waiting or running).
    public var activeCount: Int { sequences.count }
    /// Whether at least one worker is live.
    public var hasLiveWorker: Bool { workers.contains(where: \.live) }
    /// Whether worker `index` is live.
    public func isLive(_ index: Int) -> Bool { workers[index].live }
    /// Running sequences on worker `index`.
    public func running(on index: Int) -> [UInt64] { workers[index].running.map(\.id) }
    /// Whether `id` is waiting.
    public func isWaiting(_ id: UInt64) -> Bool { queue.contains(id) }

    /// KV blocks the running sequences of worker `index` hold or have reserved for their prompts.
    public func kvBlocksCommitted(on index: Int) -> Int {
        kvAccounting(on: index).committed
    }

    /// KV blocks free on worker `index` after every commitment.
    public func kvBlocksFree(on index: Int) -> Int { workers[index].kvBlocksTotal - kvBlocksCommitted(on: index) }

    func blocks(_ tokens: Int, on index: Int) -> Int {
        let size = workers[index].kvBlockSize
        return (tokens + size - 1) / size
    }

    /// Which worker waiting request `id` should wake: the one prefix placement prefers, if it is idle; else the idle
    /// live one with the most free capacity.
    public func workerToWake(for id: UInt64, at now: Duration) -> Int? {
        if let candidate = workerToWake(), let preferred = preferredWorker(for: id, over: candidate, at: now) {
            return workers[preferred].stepping ? nil : preferred
        }
        return workerToWake()
    }

    /// Which worker a waiting request should wake: the idle live one with the most free capacity.
    public func workerToWake() -> Int? {
        // With one idle live worker there is nothing to compare (and its KV accounting, a pass over its running
        // sequences, is not needed: `apply` asks this after every step).
        var idle: Int?
        for (index, worker) in workers.enumerated() where worker.live && !worker.stepping {
            guard idle == nil else {
                idle = nil
                break
            }
            idle = index
        }
        if let idle { return idle }
        var best: (index: Int, free: Int)?
        for (index, worker) in workers.enumerated() where worker.live && !worker.stepping {
            let free = (limits.maxRunning - worker.running.count) * worker.kvBlocksTotal + kvBlocksFree(on: index)
            if best == nil || free > best!.free { best = (index, free) }
        }
        return best?.index
    }
}
