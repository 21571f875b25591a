import ArgumentParser
import Basics
import BatchgateConfig
import Foundation
import InferenceCore
import Worker

/// `batchgate stage`: serves a contiguous range of a model's layers to a pipeline's first stage (the gateway's worker
/// on another node) over TCP; see Docs/pipeline.md. A thin command over `StageServer`.
struct StageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stage",
        abstract: "Serve a range of a model's layers to a pipeline's first stage over TCP.",
        discussion: """
            A model too large for one node is split into pipeline stages (models[].pipeline in the gateway's \
            configuration). The gateway's worker runs the first layers, embeds the tokens and samples; each \
            other node runs `batchgate stage` with the same model file and its own layers, keeping their KV \
            cache. The link is plain TCP without authentication: run it only on a network you trust, and say \
            so with --trusted-network (TLS between stages is not built yet).
            """
    )

    @Option(help: "The model file (.gguf), the whole of it; only the pages of the stage's layers are read.")
    var model: String

    @Option(help: "The layers this stage runs, FIRST-LAST counted from 0 (not 0: the first stage embeds).")
    var layers: String

    @Option(help: "Where to listen, HOST:PORT.")
    var listen: String = "0.0.0.0:7070"

    @Option(help: "Compute threads.")
    var threads: Int = 2

    @Option(name: .customLong("kv-cache-mib"), help: "KV cache size in MiB for this stage's layers.")
    var kvCacheMiB: Int = 256

    @Option(name: .customLong("context-length"), help: "Longest sequence (default: the model's).")
    var contextLength: Int?

    @Option(name: .customLong("idle-timeout"), help: "Drop a link silent this long (the first stage beats every 2 s).")
    var idleTimeout: String = "15s"

    @Flag(help: "Confirm that the network between the stages is trusted (the link is plain TCP).")
    var trustedNetwork = false

    func validate() throws {
        guard trustedNetwork else {
            throw ValidationError(
                "the stage link is plain TCP (TLS between stages is not built yet): pass --trusted-network to serve "
                    + "on a network you trust")
        }
        guard LayerRangeSyntax.parse(layers) != nil else {
            throw ValidationError("--layers '\(layers)' is not FIRST-LAST (e.g. 30-79)")
        }
        guard StageAddress(listen) != nil else { throw ValidationError("--listen '\(listen)' is not HOST:PORT") }
        guard DurationSyntax.commandLine.parse(idleTimeout).map({ $0 > .zero }) == true else {
            throw ValidationError("--idle-timeout '\(idleTimeout)' is not a duration such as 15s")
        }
        guard threads > 0, kvCacheMiB > 0 else {
            throw ValidationError("--threads and --kv-cache-mib must be positive")
        }
    }

    func run() throws {
        let address = StageAddress(listen)!
        let options = StageServer.Options(
            modelPath: model, layers: LayerRangeSyntax.parse(layers)!, threads: threads, kvCacheMiB: kvCacheMiB,
            contextLength: contextLength, idleTimeout: DurationSyntax.commandLine.parse(idleTimeout)!)
        do {
            let server = try StageServer(options)
            let listener = try StageListener(host: address.host, port: address.port)
            say(
                "serving layers \(LayerRangeSyntax.format(options.layers)) of \(model) "
                    + "(\(server.weights.hyperparameters.blockCount) layers) on \(address.host):\(listener.port)")
            try server.serve(listener, say: say)
        } catch {
            say("\(error)")
            throw ExitCode(1)
        }
    }
}

/// Writes a line to standard error.
private func say(_ line: String) {
    FileHandle.standardError.write(Data("batchgate stage: \(line)\n".utf8))
}
