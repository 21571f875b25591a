import WorkerProtocol

// The seam between the scheduler's types and the worker protocol's: the scheduler builds each `Step` (it plans
// steps in wire bytes, to fit the ring), so it maps a request's sampling to the wire here, once per sequence.
extension GenerationSampling {
    /// These parameters as the worker protocol carries them.
    var wire: SamplingParameters {
        SamplingParameters(
            temperature: temperature, topK: topK, topP: topP, minP: minP, seed: seed,
            repetitionPenalty: repetitionPenalty, presencePenalty: presencePenalty,
            frequencyPenalty: frequencyPenalty, logitBias: logitBias.map { LogitBias(token: $0.token, bias: $0.bias) },
            logprobs: logprobs, topLogprobs: topLogprobs, maxTokens: maxTokens, ignoreEOS: ignoreEOS,
            stopTokens: stopTokens, constraint: constraint.map { OutputConstraintParameters($0.wire) })
    }
}

extension GenerationConstraint {
    /// The constraint's source as the worker protocol carries it.
    var wire: OutputConstraintParameters.Kind {
        switch self {
        case .jsonObject: .jsonObject
        case .jsonSchema(let text): .jsonSchema(text)
        }
    }
}
