import ArgumentParser
import Basics
import BatchgateConfig
import Foundation
import InferenceCore
import Worker
import WorkerTransport

/// `batchgate stage`: serves a contiguous range of a model's layers to a pipeline's first stage (the gateway's worker
/// on another node) over mutual TLS, or plain TCP on a trusted network; see Docs/pipeline.md. A thin command over
/// `StageServer`.
struct StageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stage",
        abstract: "Serve a range of a model's layers to a pipeline's first stage over mutual TLS (or plain TCP).",
        discussion: """
            A model too large for one node is split into pipeline stages (models[].pipeline in the gateway's \
            configuration). The gateway's worker runs the first layers, embeds the tokens and samples; each \
            other node runs `batchgate stage` with the same model file and its own layers, keeping their KV \
            cache. The link is mutual TLS 1.3: give --tls-certificate and --tls-key (this stage's certificate, \
            which must name the host the gateway dials) and --tls-ca (the CA that signs the gateway's \
            models[].pipeline_tls certificate); a client without such a certificate is refused. Plain TCP, \
            without authentication, only with --trusted-network instead, on a network you trust.
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

    @Option(name: .customLong("tls-certificate"), help: "This stage's certificate chain (PEM), leaf first.")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "The private key (PEM) of --tls-certificate.")
    var tlsKey: String?

    @Option(name: .customLong("tls-ca"), help: "The CA bundle (PEM) a first stage's client certificate must chain to.")
    var tlsCA: String?

    @Flag(help: "Serve plain TCP without authentication instead of TLS, on a network you trust.")
    var trustedNetwork = false

    func validate() throws {
        let tlsFiles = [tlsCertificate, tlsKey, tlsCA].compactMap { $0 }.count
        if trustedNetwork {
            guard tlsFiles == 0 else {
                throw ValidationError(
                    "--trusted-network serves plain TCP: give it or --tls-certificate/--tls-key/--tls-ca, not both")
            }
        } else {
            guard tlsFiles == 3 else {
                throw ValidationError(
                    "the stage link needs mutual TLS (--tls-certificate, --tls-key and --tls-ca) or, on a network "
                        + "you trust, --trusted-network for plain TCP")
            }
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
        var options = StageServer.Options(
            modelPath: model, layers: LayerRangeSyntax.parse(layers)!, threads: threads, kvCacheMiB: kvCacheMiB,
            contextLength: contextLength, idleTimeout: DurationSyntax.commandLine.parse(idleTimeout)!)
        do {
            if let tlsCertificate, let tlsKey, let tlsCA {
                options.tls = try StageTLS(
                    .server, files: StageTLSFiles(certificate: tlsCertificate, key: tlsKey, ca: tlsCA))
            }
            let server = try StageServer(options)
            let listener = try StageListener(host: address.host, port: address.port)
            say(
                "serving layers \(LayerRangeSyntax.format(options.layers)) of \(model) "
                    + "(\(server.weights.hyperparameters.blockCount) layers) on \(address.host):\(listener.port), "
                    + (options.tls == nil ? "plain TCP (trusted network)" : "mutual TLS"))
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
