extension BatchgateConfiguration {
    /// `models[].chat_template`: how chat messages become a prompt.
    public enum ChatTemplate: String, Sendable, Equatable, CaseIterable {
        /// Pick from the model file's metadata (the default).
        case auto
        /// `<|im_start|>role … <|im_end|>` (Qwen and others).
        case chatml
        /// `[INST] … [/INST]` (Llama 2).
        case llama2
        /// `<|start_header_id|>role<|end_header_id|>` (Llama 3).
        case llama3
        /// ` [INST] … [/INST]` (Mistral 7B v0.1, tokenizer v1).
        case mistralV1 = "mistral-v1"
        /// `[INST] … [/INST]` (tokenizer v3).
        case mistralV3 = "mistral-v3"
        /// `[INST]…[/INST]` (Mistral Nemo, tokenizer v3-tekken).
        case mistralV3Tekken = "mistral-v3-tekken"
        /// `[SYSTEM_PROMPT] … [/SYSTEM_PROMPT][INST] … [/INST]` (Mistral Large 2411).
        case mistralV7 = "mistral-v7"
        /// `[SYSTEM_PROMPT]…[/SYSTEM_PROMPT][INST]…[/INST]` (Mistral Small 3.1).
        case mistralV7Tekken = "mistral-v7-tekken"
    }

    /// One entry of `models:` — a GGUF file served by a pool of worker processes.
    public struct Model: Sendable, Equatable {
        /// Name clients send as `model`; letters, digits, `.`, `_`, `:` and `-`, unique.
        public var name: String
        /// Absolute path of the GGUF file.
        public var path: String
        /// Worker processes for this model; default 1.
        public var workers: Int
        /// Inference threads per worker; 0 (the default) means cores divided by workers.
        public var threads: Int
        /// Token budget of one batched step (decodes plus prefill chunks); default 512.
        public var maxBatchTokens: Int
        /// Most sequences generating at once per worker; default 16.
        public var maxRunning: Int
        /// Most requests waiting; more are refused with 503; default 256.
        public var maxQueue: Int
        /// A request waiting longer than this is refused with 503; default 30 s.
        public var queueTimeout: Duration
        /// The inter-token time a step's prompt tokens may not push decoding sequences past, by the measured step
        /// cost; zero turns the cap off; default 250 ms.
        public var targetITL: Duration
        /// KV cache size per worker in MiB; nil (the default, `auto`) lets `serve` size it from the model, its context
        /// and the memory the machine has (see `KVCacheSizing`).
        public var kvCacheMiB: Int?
        /// Context window; `nil` (the default) uses the model's own.
        public var contextLength: Int?
        /// Chat prompt format; default `auto`.
        public var chatTemplate: ChatTemplate
        /// How long the model may have no live worker before requests get "model unavailable"; default 30 s.
        public var unavailableGrace: Duration
        /// Whether workers keep full KV blocks as a cache and reuse them for prompts that start with the same
        /// tokens; default true.
        public var prefixCache: Bool
        /// The most of each worker's KV cache (0…1) that idle cached blocks may hold; default 1.
        public var prefixCacheMaxShare: Double
        /// The model's pipeline stages, in layer order (`models[].pipeline`): the first is this node's worker, the
        /// others `batchgate stage` processes; empty (the default) runs the whole model in each worker.
        public var pipeline: [PipelineStage] = []
        /// With a pipeline: micro-batches each forward pass is cut into, so that stages compute at once; default 1.
        public var pipelineMicroBatches = 1
        /// With a pipeline: the first stage's certificate, key and CA for mutual TLS to the later stages; nil when
        /// every later stage is marked `trusted_network` (plain TCP).
        public var pipelineTLS: PipelineTLS?
        /// How long a worker's heartbeat may stand still before the worker counts as hung and is killed and
        /// replaced (a stopped or wedged process; the worker beats from a thread of its own); default 5 s.
        public var workerHeartbeatTimeout: Duration
        /// The longest one step may take before its worker counts as hung (its heartbeat may still beat: a compute
        /// thread stuck in a loop); default 10 min.
        public var stepTimeout: Duration

        /// Creates a model entry; every argument after `path` defaults to the documented default.
        public init(
            name: String,
            path: String,
            workers: Int = 1,
            threads: Int = 0,
            maxBatchTokens: Int = 512,
            maxRunning: Int = 16,
            maxQueue: Int = 256,
            queueTimeout: Duration = .seconds(30),
            targetITL: Duration = .milliseconds(250),
            kvCacheMiB: Int? = nil,
            contextLength: Int? = nil,
            chatTemplate: ChatTemplate = .auto,
            unavailableGrace: Duration = .seconds(30),
            prefixCache: Bool = true,
            prefixCacheMaxShare: Double = 1,
            workerHeartbeatTimeout: Duration = .seconds(5),
            stepTimeout: Duration = .seconds(600)
        ) {
            self.name = name
            self.path = path
            self.workers = workers
            self.threads = threads
            self.maxBatchTokens = maxBatchTokens
            self.maxRunning = maxRunning
            self.maxQueue = maxQueue
            self.queueTimeout = queueTimeout
            self.targetITL = targetITL
            self.kvCacheMiB = kvCacheMiB
            self.contextLength = contextLength
            self.chatTemplate = chatTemplate
            self.unavailableGrace = unavailableGrace
            self.prefixCache = prefixCache
            self.prefixCacheMaxShare = prefixCacheMaxShare
            self.workerHeartbeatTimeout = workerHeartbeatTimeout
            self.stepTimeout = stepTimeout
        }

        /// Threads each worker should use on a machine with `cores` cores: `threads`, or cores / workers (at least 1).
        public func effectiveThreads(cores: Int) -> Int {
            threads > 0 ? threads : max(1, cores / max(1, workers))
        }
    }
}
