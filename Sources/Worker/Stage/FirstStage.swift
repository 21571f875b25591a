import InferenceCore
import WorkerProtocol

/// The gateway's worker as a pipeline's first stage: the model's first blocks here (with the embedding, the output
/// norm, the head and the sampling), the rest in `batchgate stage` processes it connects to.
public enum FirstStage {
    /// Connects to the later stages at `addresses` (in layer order) and returns the first stage's engine: blocks
    /// `0..<k`, where `k` is the first later stage's first block, with the chain of stages attached. Each stage's
    /// hello must name a model of the same shape, and the stages must hold consecutive blocks up to the last.
    /// Prefix caching is turned off (`Engine.attach(laterStages:)`). Each link is plain TCP or mutual TLS as
    /// `security` says for its address.
    public static func engine(
        modelPath: String, addresses: [StageAddress], options: EngineOptions, encoding: HiddenEncoding = .f32,
        timing: RemoteStage.Timing = RemoteStage.Timing(),
        security: (StageAddress) -> StageLinkSecurity = { _ in .plain },
        onFailure: @escaping @Sendable (String) -> Void
    ) throws(StageLinkError) -> Engine {
        guard !addresses.isEmpty else { throw StageLinkError("a pipeline needs at least one later stage") }
        var stages: [RemoteStage] = []
        for address in addresses {
            stages.append(
                try RemoteStage(
                    host: address.host, port: address.port, encoding: encoding, timing: timing,
                    security: security(address), onFailure: onFailure))
        }
        let engine: Engine
        do {
            let whole = try ModelWeights(path: modelPath, layers: nil)
            let h = whole.hyperparameters
            for (stage, address) in zip(stages, addresses) {
                guard stage.hello.layerCount == h.blockCount, stage.hello.embeddingLength == h.embeddingLength else {
                    throw StageLinkError(
                        "the stage at \(address) runs a model of \(stage.hello.layerCount) layers of "
                            + "\(stage.hello.embeddingLength), not this one's \(h.blockCount) of \(h.embeddingLength)")
                }
            }
            let split = stages[0].layerRange.lowerBound
            var engineOptions = options
            engineOptions.prefixCaching = false
            engine = Engine(weights: try ModelWeights(file: whole.file, layers: 0..<split), options: engineOptions)
            try engine.attach(laterStages: try StageChain(stages, firstLayer: split, layerCount: h.blockCount))
        } catch let error as StageLinkError {
            throw error
        } catch {
            throw StageLinkError("\(error)")
        }
        return engine
    }
}

extension Engine {
    /// The links of a first stage to its later stages (none for an engine that runs the whole model).
    public var remoteStages: [RemoteStage] {
        (laterStages as? StageChain)?.stages.compactMap { $0 as? RemoteStage } ?? []
    }
}
