import Testing
import Worker
import WorkerProtocol

@testable import Scheduler

@Suite("The scheduler's sampling on the wire")
struct GenerationSamplingTests {
    @Test("Every field of a request's sampling reaches the worker protocol's parameters")
    func mapsFieldByField() {
        let sampling = GenerationSampling(
            temperature: 0.7, topK: 40, topP: 0.9, minP: 0.05, seed: 42, repetitionPenalty: 1.1,
            presencePenalty: 0.5, frequencyPenalty: -0.5, logitBias: [TokenBias(token: 7, bias: -.infinity)],
            logprobs: true, topLogprobs: 3, maxTokens: 99, ignoreEOS: true, stopTokens: [2, 5])
        #expect(
            sampling.wire
                == SamplingParameters(
                    temperature: 0.7, topK: 40, topP: 0.9, minP: 0.05, seed: 42, repetitionPenalty: 1.1,
                    presencePenalty: 0.5, frequencyPenalty: -0.5, logitBias: [LogitBias(token: 7, bias: -.infinity)],
                    logprobs: true, topLogprobs: 3, maxTokens: 99, ignoreEOS: true, stopTokens: [2, 5]))
        #expect(GenerationSampling().wire == SamplingParameters())
        let schema = #"{"type": "object"}"#
        #expect(
            GenerationSampling(constraint: .jsonSchema(schema)).wire.constraint
                == OutputConstraintParameters(.jsonSchema(schema)))
        #expect(GenerationSampling(constraint: .jsonObject).wire.constraint == OutputConstraintParameters(.jsonObject))
    }

    @Test("A recomputed sequence's first chunk says how many of its prompt's last tokens it generated before")
    func generatedPrefixAfterPreemption() {
        let limits = SchedulerLimits(maxBatchTokens: 64, maxRunning: 8, maxQueue: 100, queueTimeout: .seconds(3600))
        let engine = FakeEngine(kvBlocksTotal: 12, kvBlockSize: 4, maxBatchTokens: 64, maxRunning: 8)
        var simulation = Simulation(limits: limits, engines: [engine])
        for index in 0..<8 {
            let request = GenerationRequest(
                promptTokens: (0..<6).map { Int32(10 + index * 7 + $0) },
                sampling: GenerationSampling(maxTokens: 30, ignoreEOS: true, constraint: .jsonObject), tenant: "t")
            _ = simulation.submit(request)
        }
        simulation.drain()
        #expect(simulation.failures.isEmpty)
        #expect(simulation.core.preemptions > 0)
        var recomputed = 0
        for admission in simulation.steps.flatMap(\.admit) {
            guard let sampling = admission.sampling else { continue }
            let prefix = Int(sampling.constraint?.generatedPrefix ?? 99)
            #expect(sampling.constraint?.kind == .jsonObject)
            // The prompt was 6 tokens; whatever more the recomputed prompt holds was generated, and the token limit
            // left is what those tokens did not use.
            #expect(prefix + Int(sampling.maxTokens) == 30)
            if prefix > 0 { recomputed += 1 }
        }
        #expect(recomputed > 0)
    }

    @Test("The scheduler allows as many alternatives per token as the wire carries")
    func topLogprobsBound() {
        #expect(GenerationSampling.maxTopLogprobs == Int(SamplingParameters.maxTopLogprobs))
    }
}
