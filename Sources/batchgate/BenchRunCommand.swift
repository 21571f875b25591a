import ArgumentParser
import Foundation
import LoadGenerator

/// `batchgate bench [run] --url URL (--rate R | --concurrency C | --sweep --slo …) …`: one load test.
struct BenchRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Load-test an OpenAI-compatible server (the default `bench` command).",
        discussion: """
            Open loop (--rate, evenly spaced or --poisson), closed loop (--concurrency) or --sweep, which finds \
            the highest rate meeting --slo. Every run ends by itself (--duration or --requests; a sweep's steps \
            last --step-duration). Latency is measured from when each request was due (corrected for coordinated \
            omission); the uncorrected figures are printed beside. Ctrl-C stops and reports what was measured. \
            README.md ("Load testing") defines every figure and JSON key.
            """
    )

    @Option(help: "Base URL of the server, e.g. http://127.0.0.1:8080.")
    var url: String

    @Option(help: "completions (POST /v1/completions) or chat (POST /v1/chat/completions).")
    var endpoint = "completions"

    @Option(help: "Model name to request (default: the first one GET /v1/models lists).")
    var model: String?

    @Option(help: "API key sent as Authorization: Bearer (default: $OPENAI_API_KEY).")
    var apiKey: String?

    @Flag(help: "Accept any TLS certificate (self-signed servers).")
    var insecure = false

    @Option(help: "Open loop: requests per second.")
    var rate: Double?

    @Flag(help: "Open loop with exponential gaps (Poisson arrivals) instead of even spacing.")
    var poisson = false

    @Option(help: "Closed loop: clients, each sending its next request when its last one ends.")
    var concurrency: Int?

    @Flag(help: "Find the highest rate that meets --slo (saturation run, doubling, binary search).")
    var sweep = false

    @Option(help: "Objectives, e.g. ttft_p99=2s,tpot_p99=200ms (metrics ttft, tpot, itl, e2e).")
    var slo: String?

    @Option(help: "Stop sending after this long (e.g. 30s, 2m).")
    var duration: String?

    @Option(help: "Stop after this many requests.")
    var requests: Int?

    @Option(help: "Length of each sweep step.")
    var stepDuration = "10s"

    @Option(help: "Sweep: each step goes on until it has sent this many requests (up to 10× --step-duration).")
    var minStepRequests = 20

    @Option(help: "Sweep: longest wait between steps for the target to drain its backlog (0 turns the wait off).")
    var drainTimeout = "60s"

    @Option(help: "Prompt tokens: N, N±D (normal) or LOW..HIGH (uniform).")
    var promptTokens = "128"

    @Option(help: "Output tokens (max_tokens): N, N±D or LOW..HIGH.")
    var maxTokens = "64"

    @Flag(inversion: .prefixedNo, help: "Send ignore_eos so that every request generates max_tokens.")
    var ignoreEos = true

    @Option(help: "Count prompt tokens with this GGUF file's tokenizer instead of the server's /tokenize.")
    var tokenizer: String?

    @Option(help: "JSONL file of prompts ({\"prompt\": …} or {\"messages\": […]}, optional max_tokens).")
    var prompts: String?

    @Option(help: "Distinct synthetic prompts made before the run and cycled through.")
    var promptPool = 64

    @Option(help: "Begin every synthetic prompt with the same system prompt of this many tokens (0: none).")
    var sharedPrefixTokens = 0

    @Option(
        help:
            "Multi-turn conversations of this many turns, each resending the history and the previous answer; each client (--concurrency) or arrival (--rate) is one conversation."
    )
    var turns = 1

    @Option(help: "Pause between a conversation's answer and its next turn (e.g. 2s; not counted in latency).")
    var thinkTime = "0s"

    @Option(help: "Seed of every random choice (prompt words, lengths, Poisson gaps).")
    var seed: UInt64 = 1

    @Option(help: "Longest a request may take before it counts as a timeout.")
    var timeout = "60s"

    @Option(help: "Open loop: most requests in flight; later ones wait, and the wait counts in corrected latency.")
    var maxInFlight = 1024

    @Option(help: "Write the JSON report here.")
    var json: String?

    @Option(help: "Write a CSV report here.")
    var csv: String?

    @Option(help: "Write the HTML report (with charts) here.")
    var html: String?

    @Flag(help: "No live progress line.")
    var quiet = false

    func validate() throws {
        _ = try plan()
    }

    /// The parsed, checked arguments.
    struct Plan {
        var shape: LoadShape?
        var serviceLevels: [ServiceLevel]
        var duration: Duration?
        var stepDuration: Duration
        var drainTimeout: Duration
        var timeout: Duration
        var promptTokens: LengthSpec
        var maxTokens: LengthSpec
        var endpoint: BenchEndpoint
        var thinkTime: Duration
    }

    func plan() throws -> Plan {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ValidationError("--url must start with http:// or https://")
        }
        guard let endpoint = BenchEndpoint(rawValue: endpoint) else {
            throw ValidationError("--endpoint must be completions or chat")
        }
        let modes = [rate != nil, concurrency != nil, sweep].filter { $0 }.count
        guard modes == 1 else { throw ValidationError("give exactly one of --rate, --concurrency and --sweep") }
        if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate must be a positive number") }
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        if let requests, requests < 1 { throw ValidationError("--requests must be at least 1") }
        guard promptPool >= 1, maxInFlight >= 1, minStepRequests >= 1 else {
            throw ValidationError("--prompt-pool, --max-in-flight and --min-step-requests must be at least 1")
        }
        guard tokenizer == nil || prompts == nil else {
            throw ValidationError("give --tokenizer or --prompts, not both")
        }
        if poisson && rate == nil { throw ValidationError("--poisson needs --rate") }
        guard sharedPrefixTokens >= 0 else { throw ValidationError("--shared-prefix-tokens must not be negative") }
        guard turns >= 1 else { throw ValidationError("--turns must be at least 1") }
        if prompts != nil && (sharedPrefixTokens > 0 || turns > 1) {
            throw ValidationError("--shared-prefix-tokens and --turns make synthetic prompts; leave out --prompts")
        }
        do {
            let levels = try slo.map { try ServiceLevel.parseList($0) } ?? []
            if sweep && levels.isEmpty {
                throw ValidationError("--sweep needs --slo, e.g. --slo ttft_p99=2s,tpot_p99=200ms")
            }
            let runDuration = try duration.map { try BenchDuration.parse($0) }
            if !sweep && runDuration == nil && requests == nil {
                throw ValidationError("give --duration or --requests so that the run ends by itself")
            }
            let shape: LoadShape? =
                rate.map { .rate($0, poisson: poisson) } ?? concurrency.map { .concurrency($0) }
            let stepDuration = try BenchDuration.parse(stepDuration)
            let timeout = try BenchDuration.parse(timeout)
            let drainTimeout = try BenchDuration.parse(drainTimeout)
            guard stepDuration > .zero, timeout > .zero, (runDuration ?? .seconds(1)) > .zero else {
                throw ValidationError("--duration, --step-duration and --timeout must be longer than zero")
            }
            let thinkTime = try BenchDuration.parse(thinkTime)
            return Plan(
                shape: shape, serviceLevels: levels, duration: runDuration, stepDuration: stepDuration,
                drainTimeout: drainTimeout, timeout: timeout, promptTokens: try LengthSpec(parsing: promptTokens),
                maxTokens: try LengthSpec(parsing: maxTokens), endpoint: endpoint, thinkTime: thinkTime)
        } catch let error as BenchError {
            throw ValidationError(error.message)
        }
    }
}
