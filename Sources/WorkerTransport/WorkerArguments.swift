import Basics

/// What a `batchgate worker` process is started with, as one typed value: the launcher turns it into the command
/// line (`commandLine(segmentFD:)`), and `batchgate worker` declares its flags with the same names (`Flag`), so
/// the two ends cannot drift apart.
public struct WorkerArguments: Sendable, Equatable {
    /// The flags' long names, shared by the launcher and the `worker` command.
    public enum Flag {
        /// The inherited segment descriptor.
        public static let segmentFD = "segment-fd"
        /// The model file.
        public static let model = "model"
        /// The model's name as the gateway knows it.
        public static let name = "name"
        /// Compute threads.
        public static let threads = "threads"
        /// KV cache size in MiB.
        public static let kvCacheMiB = "kv-cache-mib"
        /// The most tokens one step may carry.
        public static let maxBatchTokens = "max-batch-tokens"
        /// Answer with the deterministic fake engine.
        public static let fakeEngine = "fake-engine"
        /// Turn the prefix cache off.
        public static let noPrefixCache = "no-prefix-cache"
        /// The most of the KV cache idle cached blocks may hold.
        public static let prefixCacheMaxShare = "prefix-cache-max-share"
        /// A later pipeline stage's `HOST:PORT`, once per stage in layer order.
        public static let stage = "stage"
        /// Micro-batches per pass of a pipeline's first stage.
        public static let microBatches = "micro-batches"
        /// A later stage's `HOST:PORT` (also given with `stage`) whose link is plain TCP on a trusted network.
        public static let plainStage = "plain-stage"
        /// The first stage's client certificate for its TLS links.
        public static let stageTLSCertificate = "stage-tls-certificate"
        /// The key of that certificate.
        public static let stageTLSKey = "stage-tls-key"
        /// The CA bundle a later stage's certificate must chain to.
        public static let stageTLSCA = "stage-tls-ca"
    }

    /// The model file (`.gguf`).
    public var modelPath: String
    /// The model's name, as the gateway knows it (reported back in `Hello`).
    public var modelName: String
    /// Compute threads.
    public var threads: Int
    /// KV cache size in MiB.
    public var kvCacheMiB: Int
    /// The most tokens one step may carry.
    public var maxBatchTokens: Int
    /// Benchmarks of the gateway only: run no model, answer with deterministic tokens.
    public var fakeEngine: Bool
    /// Whether the engine keeps and reuses full KV blocks by content.
    public var prefixCache: Bool
    /// The most of the KV cache (0…1) idle cached blocks may hold.
    public var prefixCacheMaxShare: Double
    /// The later pipeline stages' `HOST:PORT`s, in layer order; empty: the worker runs the whole model.
    public var stages: [String] = []
    /// As a pipeline's first stage: micro-batches per forward pass (1: whole passes).
    public var microBatches = 1
    /// The later stages (of `stages`) whose link is plain TCP (`models[].pipeline[].trusted_network`); every other
    /// stage's link is mutual TLS with `stageTLS`.
    public var plainStages: [String] = []
    /// The first stage's certificate, key and CA bundle for its TLS links (`models[].pipeline_tls`).
    public var stageTLS: StageTLSFiles?

    /// Arguments for a worker of the model at `modelPath`.
    public init(
        modelPath: String, modelName: String, threads: Int, kvCacheMiB: Int, maxBatchTokens: Int,
        fakeEngine: Bool = false, prefixCache: Bool = true, prefixCacheMaxShare: Double = 1
    ) {
        self.modelPath = modelPath
        self.modelName = modelName
        self.threads = threads
        self.kvCacheMiB = kvCacheMiB
        self.maxBatchTokens = maxBatchTokens
        self.fakeEngine = fakeEngine
        self.prefixCache = prefixCache
        self.prefixCacheMaxShare = prefixCacheMaxShare
    }

    /// The arguments after the executable: `worker --segment-fd N --model …`.
    public func commandLine(segmentFD: Int32) -> [String] {
        [
            "worker", "--\(Flag.segmentFD)", "\(segmentFD)", "--\(Flag.model)", modelPath, "--\(Flag.name)", modelName,
            "--\(Flag.threads)", "\(threads)", "--\(Flag.kvCacheMiB)", "\(kvCacheMiB)", "--\(Flag.maxBatchTokens)",
            "\(maxBatchTokens)", "--\(Flag.prefixCacheMaxShare)", "\(prefixCacheMaxShare)",
        ] + (fakeEngine ? ["--\(Flag.fakeEngine)"] : []) + (prefixCache ? [] : ["--\(Flag.noPrefixCache)"])
            + pipelineCommandLine
    }

    /// The flags of a pipeline's first stage: its stages, micro-batches, plain links and TLS files; none without.
    private var pipelineCommandLine: [String] {
        var line: [String] = stages.flatMap { ["--\(Flag.stage)", $0] }
        if microBatches > 1 { line += ["--\(Flag.microBatches)", "\(microBatches)"] }
        line += plainStages.flatMap { ["--\(Flag.plainStage)", $0] }
        if let stageTLS {
            line += [
                "--\(Flag.stageTLSCertificate)", stageTLS.certificate, "--\(Flag.stageTLSKey)", stageTLS.key,
                "--\(Flag.stageTLSCA)", stageTLS.ca,
            ]
        }
        return line
    }
}
