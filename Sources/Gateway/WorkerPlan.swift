import BatchgateConfig
import Scheduler

/// One model's workers as the gateway plans them (from the configuration, the model file and the machine's
/// memory). The executable turns it into the launcher of the transport it chooses.
public struct WorkerPlan: Sendable {
    /// The model's configuration (file, name, workers, batching limits).
    public var model: BatchgateConfiguration.Model
    /// Compute threads per worker.
    public var threads: Int
    /// KV cache per worker, in MiB (`ModelMemoryPlan`).
    public var kvCacheMiB: Int
    /// How long a worker may take to load the model and say hello (`ModelMemoryPlan`).
    public var helloTimeout: Duration
    /// The model's vocabulary size: the most logit biases one request can carry.
    public var vocabularySize: Int
    /// The most stop tokens one request can carry.
    public var largestStopTokenCount: Int

    /// A plan from its parts.
    public init(
        model: BatchgateConfiguration.Model, threads: Int, kvCacheMiB: Int, helloTimeout: Duration,
        vocabularySize: Int, largestStopTokenCount: Int
    ) {
        self.model = model
        self.threads = threads
        self.kvCacheMiB = kvCacheMiB
        self.helloTimeout = helloTimeout
        self.vocabularySize = vocabularySize
        self.largestStopTokenCount = largestStopTokenCount
    }
}

/// Makes the launcher of one model's workers from its plan; `serve` passes one that spawns worker processes.
public typealias WorkerLauncherFactory = @Sendable (WorkerPlan) throws -> any WorkerLauncher
