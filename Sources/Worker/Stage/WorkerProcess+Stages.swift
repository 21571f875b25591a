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
        let security = try linkSecurity(arguments, addresses: addresses)
        var options = options
        options.pipelineMicroBatches = arguments.microBatches
        let engine = try FirstStage.engine(
            modelPath: arguments.modelPath, addresses: addresses, options: options,
            security: { security[$0] ?? .plain },
            onFailure: { reason in
                FileHandle.standardError.write(Data("batchgate worker: pipeline link failed: \(reason)\n".utf8))
                exit(3)
            })
        let stages = addresses.map { address in
            switch security[address] {
            case .tls?: "\(address) (mutual TLS)"
            default: "\(address) (plain TCP)"
            }
        }.joined(separator: ", ")
        say("first pipeline stage: layers 0-\(engine.layerRange.upperBound - 1) here, the rest at \(stages)")
        return engine
    }

    /// How each stage is reached: plain TCP where the gateway marked it trusted (`--plain-stage`), mutual TLS with
    /// the first stage's files everywhere else; an error for a stage that has neither.
    static func linkSecurity(
        _ arguments: WorkerArguments, addresses: [StageAddress]
    ) throws(StageLinkError) -> [StageAddress: StageLinkSecurity] {
        var tls: StageTLS?
        if let files = arguments.stageTLS { tls = try StageTLS(.client, files: files) }
        var security: [StageAddress: StageLinkSecurity] = [:]
        for (text, address) in zip(arguments.stages, addresses) {
            if arguments.plainStages.contains(text) {
                security[address] = .plain
            } else if let tls {
                security[address] = .tls(tls)
            } else {
                throw StageLinkError(
                    "the link to the stage at \(text) has no TLS (--\(WorkerArguments.Flag.stageTLSCertificate), "
                        + "--\(WorkerArguments.Flag.stageTLSKey), --\(WorkerArguments.Flag.stageTLSCA)) and is not "
                        + "marked plain (--\(WorkerArguments.Flag.plainStage))")
            }
        }
        return security
    }
}
