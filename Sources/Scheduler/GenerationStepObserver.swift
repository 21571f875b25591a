import WorkerProtocol

/// Told about every worker step a request's sequence takes part in, so the gateway can draw its timeline (request
/// tracing). A request without an observer costs the step loop nothing beyond one check of an empty table.
///
/// Called from the step loop outside the scheduler's lock, after the worker answered and before the step's tokens
/// reach the request's stream: the report of the step that finishes a request comes before its `.finished` event.
/// Keep it quick: the step loop waits for it.
public protocol GenerationStepObserver: Sendable {
    /// One step that carried a prompt chunk of the request or decoded one of its tokens.
    func stepFinished(_ report: GenerationStepReport)
}

/// What one worker step did for one request, with the step's timing.
public struct GenerationStepReport: Sendable, Equatable {
    /// The step's id (also in the worker's `StepResult`).
    public var stepID: UInt64
    /// The worker that ran it.
    public var worker: Int
    /// When the step was sent to the worker.
    public var started: ContinuousClock.Instant
    /// When the worker's answer came back.
    public var ended: ContinuousClock.Instant
    /// The worker's forward pass over the whole batch, as its `StepResult` reports it.
    public var workerForward: Duration
    /// This request's prompt chunk in the step, if it had one.
    public var chunk: Chunk?
    /// Whether the request decoded one token in the step.
    public var decoded: Bool
    /// Sequences in the step's batch (prompt chunks and decodes).
    public var batchSequences: Int
    /// Prompt tokens in the step's batch, every sequence's.
    public var batchPrefillTokens: Int

    /// One prompt chunk: where it starts in the sequence and how many tokens it holds.
    public struct Chunk: Sendable, Equatable {
        /// The position of its first token.
        public var firstPosition: Int
        /// Its tokens.
        public var tokens: Int
        /// Whether it ends the prompt (its step samples the first token).
        public var isLast: Bool

        /// Creates a chunk description.
        public init(firstPosition: Int, tokens: Int, isLast: Bool) {
            self.firstPosition = firstPosition
            self.tokens = tokens
            self.isLast = isLast
        }
    }

    /// Creates a report.
    public init(
        stepID: UInt64, worker: Int, started: ContinuousClock.Instant, ended: ContinuousClock.Instant,
        workerForward: Duration, chunk: Chunk?, decoded: Bool, batchSequences: Int, batchPrefillTokens: Int
    ) {
        self.stepID = stepID
        self.worker = worker
        self.started = started
        self.ended = ended
        self.workerForward = workerForward
        self.chunk = chunk
        self.decoded = decoded
        self.batchSequences = batchSequences
        self.batchPrefillTokens = batchPrefillTokens
    }

    /// The reports of `step` for the observed sequences in `observers`, in batch order (prompt chunks, then decodes).
    static func reports(
        for step: Step, observers: [UInt64: any GenerationStepObserver], worker: Int, prefillTokens: Int,
        started: ContinuousClock.Instant, ended: ContinuousClock.Instant, result: StepResult
    ) -> [(any GenerationStepObserver, GenerationStepReport)] {
        let batch = step.admit.count + step.decode.count
        let forward = Duration.nanoseconds(Int64(clamping: result.forwardNanoseconds))
        func report(chunk: Chunk?, decoded: Bool) -> GenerationStepReport {
            GenerationStepReport(
                stepID: step.stepID, worker: worker, started: started, ended: ended, workerForward: forward,
                chunk: chunk, decoded: decoded, batchSequences: batch, batchPrefillTokens: prefillTokens)
        }
        var reports: [(any GenerationStepObserver, GenerationStepReport)] = []
        for admission in step.admit {
            guard let observer = observers[admission.sequenceID] else { continue }
            let chunk = Chunk(
                firstPosition: Int(admission.firstPosition), tokens: admission.tokens.count,
                isLast: admission.isLastChunk)
            reports.append((observer, report(chunk: chunk, decoded: false)))
        }
        for id in step.decode {
            guard let observer = observers[id] else { continue }
            reports.append((observer, report(chunk: nil, decoded: true)))
        }
        return reports
    }
}
