import Scheduler

extension MetricDescription {
    /// Time to first token: from 10 ms to a minute (a long prompt queued behind others on a large model).
    static let firstTokenSeconds: [Double] = [
        0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 30, 45, 60,
    ]
    /// Whole requests: from 100 ms to 10 min, the longest a request may run.
    static let requestSeconds: [Double] = [
        0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600,
    ]
    /// Time between two tokens of a stream: from a millisecond up.
    static let interTokenSeconds: [Double] = [
        0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75,
        1, 2.5,
    ]

    /// The gateway's families.
    public static let gateway: [MetricDescription] = [
        .init("batchgate_requests_total", "Requests answered, by model and HTTP status."),
        .init(
            "batchgate_time_to_first_token_seconds", "Time from a request's arrival to its first token, in seconds.",
            buckets: .seconds(firstTokenSeconds)),
        .init(
            "batchgate_inter_token_latency_seconds", "Time between two consecutive tokens of a request, in seconds.",
            buckets: .seconds(interTokenSeconds)),
        .init(
            "batchgate_e2e_request_latency_seconds",
            "Time from a request's arrival to its last token, in seconds (completed requests).",
            buckets: .seconds(requestSeconds)),
        .init("batchgate_prompt_tokens_total", "Prompt tokens of requests admitted to the model."),
        .init("batchgate_generation_tokens_total", "Tokens generated and delivered."),
        .init("batchgate_key_requests_total", "Requests answered, by API key name and model."),
        .init("batchgate_key_prompt_tokens_total", "Prompt tokens of admitted requests, by API key name and model."),
        .init("batchgate_key_generation_tokens_total", "Tokens generated and delivered, by API key name and model."),
        .init("batchgate_quota_remaining_requests", "Requests left in the key's per-minute quota on the model."),
        .init("batchgate_quota_remaining_tokens", "Tokens left in the key's per-minute quota on the model."),
        .init("batchgate_quota_concurrent_requests", "Requests of the key in flight on the model."),
        .init(
            "batchgate_quota_rejections_total",
            "Requests refused with 429 by a quota, by key, model and kind (requests, tokens, concurrency)."),
        .init(
            "batchgate_state_store_up",
            "1 while the state store (SQLite, or the cluster's PostgreSQL) answers, 0 once lost."),
        .init(
            "batchgate_requests_forwarded_total",
            "Requests forwarded to a peer node, by peer and outcome (answered, unreachable, failed, client_gone)."),
        .init(
            "batchgate_usage_records_dropped_total",
            "Usage records dropped because the buffer was full while the state store could not be written."),
    ]
}
