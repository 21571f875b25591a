import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import OpenAIAPI
import Scheduler
import Testing

/// A streamed request that fails while it still waits in the scheduler's queue gets the HTTP status, `Retry-After`
/// and JSON error body a non-streamed one gets, not a 200 with an SSE error event.
@Suite("Streams refused in the queue", .serialized)
struct QueuedStreamTests {
    static let streamed = #"{"model":"tiny","prompt":[1,15,200],"max_tokens":4,"ignore_eos":true,"stream":true}"#
    static let plain = #"{"model":"tiny","prompt":[1,15,200],"max_tokens":4,"ignore_eos":true}"#

    /// Checks a 503 refusal: JSON (no SSE), OpenAI's error shape with `code`, and `Retry-After` of at least
    /// `retryAfter` seconds.
    static func expectRefusal(_ response: TestResponse, code: String, retryAfter: Int) throws {
        #expect(response.status == .serviceUnavailable, "body: \(response.text)")
        #expect(response.headers[.contentType] == "application/json")
        #expect(!response.text.contains("data:"), "body: \(response.text)")
        let retry = try #require(response.headers[.retryAfter].flatMap { Int($0) }, "no Retry-After")
        #expect(retry >= retryAfter)
        let error = try response.decode(ErrorBody.self).error
        #expect(error.code == code)
        #expect(error.type == "service_unavailable_error")
        #expect(!error.message.isEmpty)
    }

    /// Waits until the scheduler runs `running` requests and holds `waiting` in its queue (up to 10 s: with the
    /// whole suite running, the first request once took more than 2 s to reach the scheduler).
    static func settle(_ gateway: TestGateway, running: Int, waiting: Int) async throws {
        for _ in 0..<2000 {
            let snapshot = gateway.scheduler.snapshot
            if snapshot.running == running && snapshot.waiting == waiting { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("the scheduler never ran \(running) and queued \(waiting): \(gateway.scheduler.snapshot)")
    }

    @Test("A stream that outwaits queue_timeout: 503, Retry-After, the error body")
    func queueTimeout() async throws {
        let hold = StepHold()
        let gateway = try TestGateway(
            limits: SchedulerLimits(maxBatchTokens: 256, maxRunning: 1, maxQueue: 4, queueTimeout: .milliseconds(300)),
            hold: hold)
        try await gateway.test { client in
            // However the test ends, the held request must be able to finish.
            defer { hold.release() }
            // The first request takes the only running slot and stays there while the hold lasts.
            async let first = client.post("/v1/completions", json: Self.plain)
            try await Self.settle(gateway, running: 1, waiting: 0)
            let started = ContinuousClock.now
            let refused = try await client.post("/v1/completions", json: Self.streamed)
            // It was refused by the queue's timeout, not at admission.
            #expect(ContinuousClock.now - started >= .milliseconds(300))
            try Self.expectRefusal(refused, code: "queue_timeout", retryAfter: 1)
            hold.release()
            #expect(try await first.status == .ok)
        }
    }

    @Test("With the queue full a stream is refused at once with queue_full; one that waited and ran streams 200")
    func queueFull() async throws {
        let hold = StepHold()
        let gateway = try TestGateway(
            limits: SchedulerLimits(maxBatchTokens: 256, maxRunning: 1, maxQueue: 1, queueTimeout: .seconds(30)),
            hold: hold)
        try await gateway.test { client in
            defer { hold.release() }
            async let first = client.post("/v1/completions", json: Self.plain)
            try await Self.settle(gateway, running: 1, waiting: 0)
            async let queued = client.post("/v1/completions", json: Self.streamed)
            try await Self.settle(gateway, running: 1, waiting: 1)
            let refused = try await client.post("/v1/completions", json: Self.streamed)
            try Self.expectRefusal(refused, code: "queue_full", retryAfter: 1)
            hold.release()
            #expect(try await first.status == .ok)
            let waited = try await queued
            #expect(waited.status == .ok)
            #expect(waited.headers[.contentType] == "text/event-stream")
            #expect(waited.text.hasSuffix("data: [DONE]\n\n"), "body: \(waited.text)")
            #expect(!waited.text.contains("\"error\""))
        }
    }

    @Test("A stream queued while the model has no worker: 503 model_unavailable with Retry-After once the grace ends")
    func modelUnavailable() async throws {
        let gateway = try TestGateway(
            limits: SchedulerLimits(maxBatchTokens: 256, maxRunning: 1, maxQueue: 4, unavailableGrace: .seconds(1)),
            workerFails: true)
        try await gateway.test { client in
            let started = ContinuousClock.now
            let refused = try await client.post("/v1/completions", json: Self.streamed)
            // Queued within the grace, failed by the scheduler when it ended: the status still says so.
            #expect(ContinuousClock.now - started >= .milliseconds(500))
            try Self.expectRefusal(refused, code: "model_unavailable", retryAfter: 5)
        }
    }
}
