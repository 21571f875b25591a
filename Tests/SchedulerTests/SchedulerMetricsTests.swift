import Metrics
import MetricsTestKit
import Scheduler
import Synchronization
import Testing
import WorkerProtocol

/// The test metrics backend, bootstrapped once for the whole test process (schedulers made before it report to
/// the no-op backend, which is harmless; each test here uses a model name of its own).
let testMetrics: TestMetrics = {
    let metrics = TestMetrics()
    MetricsSystem.bootstrap(metrics)
    return metrics
}()

@Suite struct SchedulerMetricsTests {
    @Test("Steps, tokens, preemptions and worker restarts are counted per model")
    func countsPerModel() async throws {
        let metrics = testMetrics
        let model = "metrics-test"
        let incarnations = Atomic<Int>(0)
        // A small KV cache (12 blocks of 4 tokens) forces preemptions; the first worker dies after 10 steps.
        let scheduler = ModelScheduler(
            model: model, limits: SchedulerLimits(maxBatchTokens: 64, maxRunning: 8), workers: 1,
            launcher: InProcessWorkerLauncher { _ in
                let n = incarnations.add(1, ordering: .relaxed).newValue
                return FakeWorker(
                    kvBlocks: 12, blockSize: 4, maxBatchTokens: 64, maxRunning: 8,
                    dieAfterSteps: n == 1 ? 10 : nil
                ).link
            }, restartBackoff: .milliseconds(10)...(.milliseconds(50)), tickInterval: .milliseconds(10))
        try await withRunning(scheduler) {
            try await withThrowingTaskGroup(of: GenerationFinish?.self) { group in
                for index in 0..<6 {
                    let stream = try scheduler.submit(request([Int32(index + 3), 4, 5, 6, 7, 8], maxTokens: 20))
                    group.addTask { await collect(stream).finish }
                }
                for try await finish in group { #expect(finish?.reason == .length) }
            }
        }
        let dimensions = [("model", model)]
        #expect(metrics.counterTotal(label: "batchgate_worker_restarts_total", dimensions: dimensions) == 1)
        #expect(metrics.counterTotal(label: "batchgate_num_preemptions_total", dimensions: dimensions) > 0)
        // Every token streamed came from a decode or a prompt's last chunk: 6 × 20 tokens, the first of each
        // (and of each recomputation) from a prefill, so decodes are fewer than 120 but more than half of them.
        let decodes = metrics.counterTotal(label: "batchgate_step_decode_tokens_total", dimensions: dimensions)
        #expect(decodes > 60 && decodes < 120 + 6 * 20)
        #expect(metrics.counterTotal(label: "batchgate_step_prefill_tokens_total", dimensions: dimensions) >= 36)
        let steps = try metrics.expectTimer("batchgate_step_duration_seconds", dimensions)
        #expect(!steps.values.isEmpty)
        let queued = try metrics.expectTimer("batchgate_request_queue_time_seconds", dimensions)
        #expect(queued.values.count == 6)
    }
}
