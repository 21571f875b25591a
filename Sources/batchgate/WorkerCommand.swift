import ArgumentParser
import Basics
import BatchgateConfig
import Foundation
import Worker
import WorkerTransport

/// `batchgate worker`: the worker process the gateway spawns for one model; never started by hand. A thin command
/// over `WorkerProcess.run`; its flags are named by `WorkerArguments.Flag`, which the launcher builds them from.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run one inference worker on a shared-memory segment (started by the gateway, never by hand).",
        discussion: """
            The gateway spawns this process with the segment's descriptor inherited as --segment-fd. \
            It loads the model, sends Hello, answers every Step with one engine step, and exits when the \
            gateway dies (parent-death signal plus the segment's heartbeat). There is nothing to gain from \
            running it by hand.
            """,
        shouldDisplay: false
    )

    @Option(name: .customLong(WorkerArguments.Flag.segmentFD), help: "The inherited shared-memory segment descriptor.")
    var segmentFD: Int32

    @Option(name: .customLong(WorkerArguments.Flag.model), help: "The model file (.gguf: llama, qwen, qwen2 or qwen3).")
    var model: String

    @Option(name: .customLong(WorkerArguments.Flag.name), help: "The model's name, as the gateway knows it.")
    var name: String

    @Option(name: .customLong("gateway-pid"), help: "The gateway's pid (default: the one in the segment header).")
    var gatewayPID: Int32?

    @Option(name: .customLong(WorkerArguments.Flag.threads), help: "Compute threads.")
    var threads: Int = 2

    @Option(name: .customLong(WorkerArguments.Flag.kvCacheMiB), help: "KV cache size in MiB.")
    var kvCacheMiB: Int = 256

    @Option(name: .customLong(WorkerArguments.Flag.maxBatchTokens), help: "The most tokens one step may carry.")
    var maxBatchTokens: Int = 2048

    @Flag(
        name: .customLong(WorkerArguments.Flag.fakeEngine),
        help: "Benchmarks only: answer with the deterministic fake engine instead of running the model.")
    var fakeEngine = false

    @Flag(
        name: .customLong(WorkerArguments.Flag.noPrefixCache),
        help: "Compute every prompt from scratch: keep no KV blocks after their sequences end.")
    var noPrefixCache = false

    @Option(
        name: .customLong(WorkerArguments.Flag.prefixCacheMaxShare),
        help: "The most of the KV cache (0 to 1) that idle cached blocks may hold.")
    var prefixCacheMaxShare: Double = 1

    @Option(
        name: .customLong(WorkerArguments.Flag.stage),
        help: "A later pipeline stage's HOST:PORT (`batchgate stage`), once per stage in layer order.")
    var stage: [String] = []

    @Option(
        name: .customLong(WorkerArguments.Flag.microBatches),
        help: "As a pipeline's first stage: cut each forward pass into this many micro-batches.")
    var microBatches: Int = 1

    @Option(
        name: .customLong(WorkerArguments.Flag.plainStage),
        help: "A --stage whose link is plain TCP on a trusted network (the others are mutual TLS).")
    var plainStage: [String] = []

    @Option(
        name: .customLong(WorkerArguments.Flag.stageTLSCertificate),
        help: "As a pipeline's first stage: the client certificate (PEM) for the TLS links to the stages.")
    var stageTLSCertificate: String?

    @Option(name: .customLong(WorkerArguments.Flag.stageTLSKey), help: "The key (PEM) of that certificate.")
    var stageTLSKey: String?

    @Option(
        name: .customLong(WorkerArguments.Flag.stageTLSCA),
        help: "The CA bundle (PEM) a stage's certificate must chain to.")
    var stageTLSCA: String?

    func validate() throws {
        let tlsFlags = [stageTLSCertificate, stageTLSKey, stageTLSCA].compactMap { $0 }.count
        guard tlsFlags == 0 || tlsFlags == 3 else {
            throw ValidationError(
                "give all of --\(WorkerArguments.Flag.stageTLSCertificate), --\(WorkerArguments.Flag.stageTLSKey) "
                    + "and --\(WorkerArguments.Flag.stageTLSCA), or none")
        }
        guard prefixCacheMaxShare.isFinite, (0...1).contains(prefixCacheMaxShare) else {
            throw ValidationError("--\(WorkerArguments.Flag.prefixCacheMaxShare) must be between 0 and 1")
        }
    }

    func run() throws {
        var arguments = WorkerArguments(
            modelPath: model, modelName: name, threads: threads, kvCacheMiB: kvCacheMiB,
            maxBatchTokens: maxBatchTokens, fakeEngine: fakeEngine, prefixCache: !noPrefixCache,
            prefixCacheMaxShare: prefixCacheMaxShare)
        arguments.stages = stage
        arguments.microBatches = max(1, microBatches)
        arguments.plainStages = plainStage
        if let stageTLSCertificate, let stageTLSKey, let stageTLSCA {
            arguments.stageTLS = StageTLSFiles(certificate: stageTLSCertificate, key: stageTLSKey, ca: stageTLSCA)
        }
        do {
            try WorkerProcess.run(
                .init(
                    segmentFD: segmentFD, gatewayPID: gatewayPID, arguments: arguments,
                    availableMemoryBytes: SystemMemory.availableBytes()),
                say: say)
        } catch {
            say(error.description)
            throw ExitCode(error.exitStatus)
        }
    }

    /// Writes a line to standard error, which the gateway's log shows.
    private func say(_ line: String) {
        FileHandle.standardError.write(Data("batchgate worker: \(line)\n".utf8))
    }
}
