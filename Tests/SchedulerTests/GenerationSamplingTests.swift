import Testing
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
    }

    @Test("The scheduler allows as many alternatives per token as the wire carries")
    func topLogprobsBound() {
        #expect(GenerationSampling.maxTopLogprobs == Int(SamplingParameters.maxTopLogprobs))
    }
}
