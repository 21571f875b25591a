import Basics
import BatchgateConfig
import Tokenizers

/// The memory-dependent settings `serve` chooses for each model's workers at start: the KV cache size when
/// `kv_cache_mib` is `auto`, and how long a worker may take to load the model before it counts as failed.
public struct ModelMemoryPlan: Sendable, Equatable {
    /// KV cache per worker, in MiB.
    public var kvCacheMiB: Int
    /// How long a worker may take from spawn to `Hello` (mostly reading the model file).
    public var helloTimeout: Duration
    /// One line for the startup log saying how the KV cache size was chosen.
    public var explanation: String

    /// Bytes kept out of every automatic KV cache: the gateway, the workers' step buffers, the rest of the system.
    static let reserveBytes = 1 << 30
    /// The smallest automatic KV cache, in MiB.
    static let minimumMiB = 16
    /// Size of the cache when the machine's memory cannot be read, in MiB.
    static let unknownMemoryMiB = 256
    /// The slowest disk a model is expected to load from, in bytes per second: the hello timeout grants this much
    /// reading time beyond `baseHelloTimeout`.
    static let slowestDiskBytesPerSecond = 16 << 20
    /// Hello timeout of a model whose file takes no time to read.
    static let baseHelloTimeout = Duration.seconds(120)

    /// Plans every model of a configuration. `availableBytes` is what the machine can still give
    /// (`SystemMemory.availableBytes()`, nil when unknown); every model's file is taken to be resident (the workers
    /// lock it in memory), and what is left beyond `reserveBytes` is shared equally between the models, then between
    /// each model's workers. A model gets room for `max_running` sequences at its full context, or as much of that as
    /// its share holds (never less than `minimumMiB`); an explicit `kv_cache_mib` is kept as it is.
    public static func plans(
        for models: [(model: BatchgateConfiguration.Model, description: ModelDescription)], availableBytes: Int?
    ) -> [ModelMemoryPlan] {
        let files = models.reduce(0) { $0 + $1.description.fileBytes }
        let room = availableBytes.map { max(0, $0 - files - reserveBytes) }
        return models.map { entry in
            let (model, description) = entry
            let timeout = helloTimeout(fileBytes: description.fileBytes)
            if let fixed = model.kvCacheMiB {
                return ModelMemoryPlan(
                    kvCacheMiB: fixed, helloTimeout: timeout,
                    explanation: "KV cache \(fixed) MiB per worker (configured)")
            }
            let perToken = max(1, description.kvBytesPerToken)
            let context = description.contextLength
            let wanted = mebibytesUp(perToken * context * model.maxRunning)
            guard let room else {
                let mib = min(wanted, unknownMemoryMiB)
                return ModelMemoryPlan(
                    kvCacheMiB: mib, helloTimeout: timeout,
                    explanation: "KV cache \(mib) MiB per worker (auto; the machine's free memory cannot be read)")
            }
            let share = room / models.count / max(1, model.workers) / (1 << 20)
            let mib = max(minimumMiB, min(wanted, share))
            let tokens = mib * (1 << 20) / perToken
            var explanation =
                "KV cache \(mib) MiB per worker (auto: \(model.maxRunning) sequences × \(context) tokens want "
                + "\(wanted) MiB; \(ByteCount.gibibytes(availableBytes ?? 0)) GiB free, model files \(ByteCount.gibibytes(files)) GiB)"
            if tokens < context {
                explanation += "; a request can use at most \(tokens) of the \(context)-token context"
            }
            return ModelMemoryPlan(kvCacheMiB: mib, helloTimeout: timeout, explanation: explanation)
        }
    }

    /// The hello timeout for a model file of `fileBytes`: `baseHelloTimeout` plus its reading time at
    /// `slowestDiskBytesPerSecond`.
    static func helloTimeout(fileBytes: Int) -> Duration {
        baseHelloTimeout + .seconds(fileBytes / slowestDiskBytesPerSecond)
    }

    /// `bytes` in MiB, rounded up.
    static func mebibytesUp(_ bytes: Int) -> Int { (bytes + (1 << 20) - 1) >> 20 }
}
