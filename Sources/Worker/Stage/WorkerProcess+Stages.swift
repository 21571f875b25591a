import Foundation
import InferenceCore
import WorkerTransport

extension WorkerProcess {
    /// The engine of a worker that is a pipeline's first stage (`arguments.stages` set): connected to every later
    /// stage, or an error naming the one it could not reach. A link that fails later ends the process (exit 3)
    /// after one log line, so that the gateway requeues the worker's sequences and starts another worker, which
    /// connects again; a step never waits on a dead stage for longer than the link's timeouts.
    static func firstStage(
        _ arguments: WorkerArguments, options: EngineOptions, say: (String) -> Void
    ) throws -> Engine {
        var addresses: [StageAddress] = []
        for text in arguments.stages {
            guard let address = StageAddress(text) else {
                throw StageLinkError("'\(text)' is not a stage address (HOST:PORT)")
            }
            addresses.append(address)
        }
        var options = options
        options.pipelineMicroBatches = arguments.microBatches
        let engine = try FirstStage.engine(
            modelPath: arguments.modelPath, addresses: addresses, options: options,
            onFailure: { reason in
                FileHandle.standardError.write(Data("batchgate worker: pipeline link failed: \(reason)\n".utf8))
                exit(3)
            })
        let stages = addresses.map(\.description).joined(separator: ", ")
        say("first pipeline stage: layers 0-\(engine.layerRange.upperBound - 1) here, the rest at \(stages)")
        return engine
    }
}
