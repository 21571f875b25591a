/// A validated, tokenized request the gateway hands to a `ModelScheduler`.
public struct GenerationRequest: Sendable {
    /// The prompt's token ids (not empty).
    public var promptTokens: [Int32]
    /// How to sample; `sampling.maxTokens` is the most tokens to generate (at least 1).
    public var sampling: GenerationSampling
    /// The tenant for fair share (the API key's name).
    public var tenant: String
    /// 0...9; higher is served first.
    public var priority: Int
    /// The longest the request may take from submission, waiting and running; past it the scheduler ends it with
    /// `requestTimeout` and frees what it holds, whether or not tokens arrive. `nil`: no limit.
    public var timeout: Duration?
    /// Told about each worker step the request takes part in (request tracing); `nil`: nobody is, at no cost.
    public var stepObserver: (any GenerationStepObserver)?

    /// Creates a request.
    public init(
        promptTokens: [Int32], sampling: GenerationSampling, tenant: String = "", priority: Int = 0,
        timeout: Duration? = nil, stepObserver: (any GenerationStepObserver)? = nil
    ) {
        self.promptTokens = promptTokens
        self.sampling = sampling
        self.tenant = tenant
        self.priority = priority
        self.timeout = timeout
        self.stepObserver = stepObserver
    }
}

/// One token of a generation, as it streams.
public struct GeneratedToken: Sendable, Equatable {
    /// The token id.
    public var token: Int32
    /// Its log-probability (0 when not asked for).
    public var logprob: Float
    /// The most likely alternatives, when asked for.
    public var topLogprobs: [Alternative]
    /// On a request's first token only, when some were: the prompt tokens the worker took from its prefix cache
    /// (also in the finish, which a stream cut short by a stop string never reads).
    public var cachedPromptTokens: Int?

    /// Creates a token event.
    public init(token: Int32, logprob: Float = 0, topLogprobs: [Alternative] = [], cachedPromptTokens: Int? = nil) {
        self.token = token
        self.logprob = logprob
        self.topLogprobs = topLogprobs
        self.cachedPromptTokens = cachedPromptTokens
    }

    /// One of the most likely tokens at a position, with its log-probability.
    public struct Alternative: Sendable, Hashable {
        /// The token id.
        public var token: Int32
        /// Its natural-log probability (≤ 0, may be −∞, never NaN).
        public var logprob: Float

        /// Creates a pair.
        public init(token: Int32, logprob: Float) {
            self.token = token
            self.logprob = logprob
        }
    }
}

/// How a generation ended; every request gets exactly one.
public struct GenerationFinish: Sendable, Equatable {
    /// Why it ended.
    public enum Reason: Sendable, Equatable {
        /// End of sequence or a stop token (OpenAI's `stop`).
        case stop
        /// The token limit or the context (OpenAI's `length`).
        case length
        /// The client went away or the gateway cancelled it.
        case cancelled
        /// The scheduler refused or failed it.
        case error(SchedulerError)
    }

    /// Why it ended.
    public var reason: Reason
    /// Prompt tokens of the request (as submitted, not counting recomputation).
    public var promptTokens: Int
    /// Tokens generated and delivered.
    public var completionTokens: Int
    /// How long the request waited before its first chunk was scheduled (nil if it never was).
    public var queueTime: Duration?
    /// How many times the request was recomputed after a preemption or a worker's death.
    public var recomputations: Int
    /// Prompt tokens the worker found in its prefix cache instead of computing them, on the request's first
    /// admission (OpenAI's `usage.prompt_tokens_details.cached_tokens`).
    public var cachedPromptTokens: Int

    /// Creates a finish.
    public init(
        reason: Reason, promptTokens: Int, completionTokens: Int, queueTime: Duration? = nil, recomputations: Int = 0,
        cachedPromptTokens: Int = 0
    ) {
        self.reason = reason
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.queueTime = queueTime
        self.recomputations = recomputations
        self.cachedPromptTokens = cachedPromptTokens
    }
}

/// What a generation stream yields: tokens, then exactly one finish.
public enum GenerationEvent: Sendable, Equatable {
    /// One more token.
    case token(GeneratedToken)
    /// The end; nothing follows.
    case finished(GenerationFinish)
}
