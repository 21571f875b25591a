import Gateway
import WorkerTransport

extension ServeCommand {
    /// The transport `serve` runs its workers over: `batchgate worker` processes on shared-memory rings, each
    /// started with the arguments its model's plan gives, and rings sized for the largest step the plan allows.
    static func processLaunchers(executable: String, fakeEngine: Bool) -> WorkerLauncherFactory {
        { plan in
            var arguments = WorkerArguments(
                modelPath: plan.model.path, modelName: plan.model.name, threads: plan.threads,
                kvCacheMiB: plan.kvCacheMiB, maxBatchTokens: plan.model.maxBatchTokens, fakeEngine: fakeEngine,
                prefixCache: plan.model.prefixCache, prefixCacheMaxShare: plan.model.prefixCacheMaxShare)
            // A pipeline's first stage connects to the others (models[].pipeline, Docs/pipeline.md).
            arguments.stages = plan.model.pipeline.dropFirst().map(\.host)
            arguments.microBatches = plan.model.pipelineMicroBatches
            // Mutual TLS to each stage, plain TCP only to those marked trusted_network.
            arguments.plainStages = plan.model.pipeline.dropFirst().filter(\.trustedNetwork).map(\.host)
            arguments.stageTLS = plan.model.pipelineTLS
            return WorkerProcessLauncher(
                executable: executable,
                arguments: arguments,
                ringCapacity: WorkerProcessLauncher.ringCapacity(
                    maxRunning: plan.model.maxRunning, maxBatchTokens: plan.model.maxBatchTokens,
                    logitBiases: plan.vocabularySize, stopTokens: plan.largestStopTokenCount),
                helloTimeout: plan.helloTimeout, stalenessBound: plan.model.workerHeartbeatTimeout,
                stepTimeout: plan.model.stepTimeout)
        }
    }
}
