import ArgumentParser
import Basics
import Foundation
import InferenceCore
import Worker

/// `batchgate model pipeline-bench MODEL --split K`: aggregate decode tokens/s of a model run whole and split into
/// pipeline stages over TCP, with where a split step's time goes (each stage's compute, the links) and each stage's
/// idle share (the bubble). Later stages run in this process on loopback unless `--stage` names running ones.
struct ModelPipelineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline-bench",
        abstract: "Measure decode tokens/s of a model whole and split into pipeline stages over TCP."
    )

    @Argument(help: "The model (.gguf).")
    var model: String

    @Option(help: "Comma-separated first layers of the later stages (e.g. 15 for two stages, 10,20 for three).")
    var split: String

    @Option(help: "Sequences decoded together.")
    var sequences: Int = 16

    @Option(help: "Prompt tokens per sequence.")
    var prompt: Int = 32

    @Option(help: "Decode steps timed.")
    var generate: Int = 32

    @Option(help: "Compute threads of the whole model and of each stage.")
    var threads: Int = 1

    @Option(name: .customLong("micro-batches"), help: "Micro-batches per pass of the split model.")
    var microBatches: Int = 1

    @Option(help: "A running `batchgate stage` (HOST:PORT), once per later stage; default: stages in this process.")
    var stage: [String] = []

    func validate() throws {
        guard sequences >= 1, prompt >= 1, generate >= 1, threads >= 1 else {
            throw ValidationError("--sequences, --prompt, --generate and --threads must be ≥ 1")
        }
        guard splitLayers != nil else { throw ValidationError("--split: expected increasing layer numbers ≥ 1") }
        guard stage.isEmpty || stage.count == splitLayers!.count else {
            throw ValidationError("--stage: give one address per later stage (\(splitLayers!.count))")
        }
    }

    var splitLayers: [Int]? {
        let layers = split.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !layers.isEmpty, layers.first! >= 1, zip(layers, layers.dropFirst()).allSatisfy({ $0 < $1 }) else {
            return nil
        }
        return layers
    }

    /// One run's figures.
    struct Run {
        var decodeSeconds = 0.0
        var steps = 0
        var links: [RemoteStage.LinkTotals] = []
    }

    func run() throws {
        let whole = try ModelWeights(path: model)
        let n = whole.hyperparameters.blockCount
        let boundaries = splitLayers!
        guard boundaries.last! < n else { throw ValidationError("--split: the model has \(n) layers") }
        var options = EngineOptions()
        options.threads = threads
        options.prefixCaching = false
        options.kvCacheMiB = 512
        let vocabulary = whole.vocabularySize

        let unsplit = try measure(Engine(weights: whole, options: options), vocabulary: vocabulary)
        var servers: [(StageServer, StageListener)] = []
        var addresses = stage.compactMap(StageAddress.init)
        if addresses.isEmpty {
            let edges = boundaries + [n]
            for s in 0..<boundaries.count {
                let server = try StageServer(
                    .init(modelPath: model, layers: edges[s]..<edges[s + 1], threads: threads, kvCacheMiB: 512))
                let listener = try StageListener(host: "127.0.0.1", port: 0)
                Thread { try? server.serve(listener) { _ in } }.start()
                servers.append((server, listener))
                addresses.append(StageAddress(host: "127.0.0.1", port: listener.port))
            }
        }
        defer { for (server, _) in servers { server.stop() } }
        var splitOptions = options
        splitOptions.pipelineMicroBatches = microBatches
        let first = try FirstStage.engine(
            modelPath: model, addresses: addresses, options: splitOptions, onFailure: { _ in })
        let split = try measure(first, vocabulary: vocabulary)

        let kernels = KernelVariant.current
        print(
            "model \(model): \(n) layers, split at \(boundaries.map(String.init).joined(separator: ",")); "
                + "\(sequences) sequences, prompt \(prompt), \(generate) decode steps, \(threads) thread(s) per engine, "
                + "\(microBatches) micro-batch(es) a pass, "
                + "kernels \(kernels)")
        let unsplitRate = Double(sequences * generate) / unsplit.decodeSeconds
        let splitRate = Double(sequences * generate) / split.decodeSeconds
        print(
            String(
                format: "unsplit: %.1f decode tok/s (%.1f ms a step)", unsplitRate,
                unsplit.decodeSeconds / Double(generate) * 1000))
        print(
            String(
                format: "split:   %.1f decode tok/s (%.1f ms a step), %.2f× unsplit", splitRate,
                split.decodeSeconds / Double(generate) * 1000, splitRate / unsplitRate))
        let steps = Double(split.steps)
        let step = split.decodeSeconds / steps
        var waited = 0.0
        for (s, link) in split.links.enumerated() {
            let compute = link.stageSeconds / steps
            let linkCost = (link.roundTripSeconds - link.stageSeconds) / Double(max(1, link.passes))
            waited += link.waitSeconds / steps
            print(
                String(
                    format:
                        "  stage %ld: %.2f ms compute a step (idle %.0f%%); %.1f passes a step, link and codec %.3f ms "
                        + "a pass, %.0f bytes a step",
                    s + 2, compute * 1000, (1 - compute / step) * 100, Double(link.passes) / steps, linkCost * 1000,
                    Double(link.bytes) / steps))
        }
        // The first stage computes whenever it is not waiting for an answer.
        print(
            String(
                format: "  stage 1: %.2f ms compute a step (embedding, its layers, head, sampling; idle %.0f%%)",
                (step - waited) * 1000, waited / step * 100))
    }

    /// Prefills `sequences` prompts (untimed), then times `generate` decode steps of all of them.
    func measure(_ engine: Engine, vocabulary: Int) throws -> Run {
        var sampling = SamplingParameters()
        sampling.maxTokens = generate + 1
        sampling.ignoreEOS = true
        let ids = (1...sequences).map { SequenceID($0) }
        for id in ids {
            let tokens = (0..<prompt).map { Int32((Int(id) * 7919 + $0 * 104_729) % vocabulary) }
            _ = try engine.step(StepBatch(admits: [.init(sequence: id, tokens: tokens, sampling: sampling)]))
        }
        let links = { engine.remoteStages.map(\.linkTotals) }
        let before = links()
        let started = ContinuousClock.now
        for _ in 0..<generate { _ = try engine.step(StepBatch(decodes: ids)) }
        var run = Run(decodeSeconds: (ContinuousClock.now - started).inSeconds, steps: generate)
        run.links = zip(links(), before).map { $0.since($1) }
        return run
    }
}
