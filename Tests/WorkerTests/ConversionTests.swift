import Testing
import Worker
import WorkerProtocol

@testable import InferenceCore

/// `Step` → `StepBatch` and `StepOutput` → `StepResult`.
@Suite struct ConversionTests {
    @Test func stepBecomesBatch() {
        let sampling = WorkerProtocol.SamplingParameters(
            temperature: 0.7, topK: 40, topP: 0.9, minP: 0.05, seed: 42, repetitionPenalty: 1.1,
            presencePenalty: 0.2, frequencyPenalty: 0.3, logitBias: [LogitBias(token: 7, bias: -1)], logprobs: true,
            topLogprobs: 3, maxTokens: 12, ignoreEOS: true, stopTokens: [2, 9])
        let step = Step(
            stepID: 5,
            admit: [
                Admission(sequenceID: 1, firstPosition: 0, tokens: [1, 2, 3], isLastChunk: false, sampling: sampling),
                Admission(sequenceID: 2, firstPosition: 16, tokens: [4], isLastChunk: true),
            ],
            decode: [3, 4], release: [8])
        // Through the codec first, as the worker sees it.
        let decoded = try? Step(decoding: step.encoded())
        let batch = (decoded ?? step).engineBatch
        #expect(batch.admits.map(\.sequence) == [1, 2])
        #expect(batch.admits.map(\.position) == [0, 16])
        #expect(batch.admits.map(\.tokens) == [[1, 2, 3], [4]])
        #expect(batch.admits.map(\.isLastChunk) == [false, true])
        #expect(batch.decodes == [3, 4])
        #expect(batch.releases == [8])
        #expect(batch.admits[1].sampling == nil)
        let engine = try! #require(batch.admits[0].sampling)
        #expect(engine.temperature == 0.7 && engine.topK == 40 && engine.topP == 0.9 && engine.minP == 0.05)
        #expect(engine.seed == 42 && engine.repetitionPenalty == 1.1)
        #expect(engine.presencePenalty == 0.2 && engine.frequencyPenalty == 0.3)
        #expect(engine.logitBias == [7: -1])
        #expect(engine.topLogprobs == 3 && engine.maxTokens == 12 && engine.ignoreEOS)
        #expect(engine.stopTokens == [2, 9])
        #expect((decoded ?? step).runningSequences == [1, 2, 3, 4])
    }

    @Test("A wire output constraint becomes the engine's, with its generated prefix")
    func constraintBecomesEngines() throws {
        let schema = #"{"type": "integer"}"#
        for (wire, engine) in [
            (OutputConstraintParameters(.jsonObject), OutputConstraint(.jsonObject)),
            (
                OutputConstraintParameters(.jsonSchema(schema), generatedPrefix: 7),
                .init(.jsonSchema(schema), generatedPrefix: 7)
            ),
        ] {
            let sampling = WorkerProtocol.SamplingParameters(constraint: wire)
            let step = Step(
                stepID: 1,
                admit: [Admission(sequenceID: 1, firstPosition: 0, tokens: [1], isLastChunk: true, sampling: sampling)])
            let batch = try Step(decoding: step.encoded()).engineBatch
            #expect(batch.admits[0].sampling?.constraint == engine)
        }
        #expect(WorkerProtocol.SamplingParameters().engineParameters.constraint == nil)
    }

    @Test func outputBecomesResult() throws {
        let output = StepOutput(
            results: [
                .init(
                    sequence: 1,
                    token: InferenceCore.SampledToken(
                        token: 10, logprob: -0.5,
                        topLogprobs: [.init(token: 10, logprob: -0.5), .init(token: 3, logprob: -2)]),
                    logits: nil, finishReason: nil, kvBlocks: 2),
                .init(
                    sequence: 2, token: InferenceCore.SampledToken(token: 9, logprob: -1, topLogprobs: []), logits: nil,
                    finishReason: .stop, kvBlocks: 1),
                .init(
                    sequence: 3, token: InferenceCore.SampledToken(token: 4, logprob: -1, topLogprobs: []), logits: nil,
                    finishReason: .length, kvBlocks: 3),
                .init(
                    sequence: 4, token: InferenceCore.SampledToken(token: 2, logprob: -1, topLogprobs: []), logits: nil,
                    finishReason: .stop, kvBlocks: 3),
            ],
            forwardSeconds: 0.25)
        let result = StepResult(
            stepID: 9, output: output, kvBlocksFree: 17, wantsLogprob: { $0 == 1 }, stopTokens: { _ in [9] })
        let back = try StepResult(decoding: result.encoded())
        #expect(back.stepID == 9)
        #expect(back.forwardNanoseconds == 250_000_000)
        #expect(back.kvBlocksFree == 17)
        #expect(back.tokens.map(\.sequenceID) == [1, 2, 3, 4])
        #expect(back.tokens.map(\.token) == [10, 9, 4, 2])
        #expect(back.tokens.map(\.logprob) == [-0.5, 0, 0, 0])
        #expect(back.tokens[0].topLogprobs == [.init(token: 10, logprob: -0.5), .init(token: 3, logprob: -2)])
        #expect(back.tokens.map(\.kvBlocksHeld) == [2, 1, 3, 3])
        #expect(back.tokens.map(\.finish) == [nil, .stopToken, .maxTokens, .endOfSequence])
    }

    @Test func engineErrorsMapToCodes() {
        let error = EngineError(.kvCacheFull, "full")
        let wire = SequenceError(sequenceID: 4, engineError: error)
        #expect(wire.code == .outOfKVBlocks)
        #expect(wire.message.contains("kv_cache_full"))
        #expect(SequenceError.Code(EngineError.Code.tokenOutOfRange) == .invalidToken)
        #expect(SequenceError.Code(EngineError.Code.contextExceeded) == .contextOverflow)
        #expect(SequenceError.Code(EngineError.Code.unknownSequence) == .unknownSequence)
        #expect(SequenceError.Code(EngineError.Code.invalidSampling) == .internalError)
    }
}
