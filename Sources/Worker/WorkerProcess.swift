import Basics
import GGUF
import Glibc
import InferenceCore
import WorkerTransport

/// The life of a `batchgate worker` process: attach to the gateway's segment (parent-death signal, heartbeat),
/// load the model (or the fake engine), then answer steps until the gateway goes away.
public enum WorkerProcess {
    /// What the process was started with.
    public struct Options: Sendable {
        /// The inherited segment descriptor.
        public var segmentFD: Int32
        /// The gateway's pid; `nil` takes the one the segment names.
        public var gatewayPID: Int32?
        /// The model, its name, threads, KV cache and batch limit.
        public var arguments: WorkerArguments
        /// Bytes the machine can still give (`nil` when unknown): the model is locked in memory only when it fits
        /// with a GiB to spare.
        public var availableMemoryBytes: Int?

        /// Options from their parts.
        public init(segmentFD: Int32, gatewayPID: Int32?, arguments: WorkerArguments, availableMemoryBytes: Int?) {
            self.segmentFD = segmentFD
            self.gatewayPID = gatewayPID
            self.arguments = arguments
            self.availableMemoryBytes = availableMemoryBytes
        }
    }

    /// Runs the worker until its gateway is gone (then returns). `say` writes one line to the gateway's log.
    public static func run(_ options: Options, say: (String) -> Void) throws(WorkerProcessError) {
        let endpoint: WorkerEndpoint?
        do {
            endpoint = try WorkerEndpoint.attach(segmentFD: options.segmentFD, gatewayPID: options.gatewayPID)
        } catch {
            throw WorkerProcessError(.segmentUnavailable, error.description)
        }
        // The gateway is already gone: nothing to serve.
        guard let endpoint else { return }
        let arguments = options.arguments
        let handler: any StepHandling
        if arguments.fakeEngine {
            // Benchmarks of the gateway only: deterministic tokens, no model, a KV budget as if of kvCacheMiB.
            handler = FakeEngine(
                kvBlocksTotal: max(64, arguments.kvCacheMiB * 64), kvBlockSize: 16,
                maxBatchTokens: arguments.maxBatchTokens, maxRunning: 1 << 16)
        } else {
            try reserveKVCache(mebibytes: arguments.kvCacheMiB)
            do {
                var engineOptions = EngineOptions()
                engineOptions.threads = arguments.threads
                engineOptions.kvCacheMiB = arguments.kvCacheMiB
                engineOptions.prefixCaching = arguments.prefixCache
                engineOptions.prefixCacheMaxShare = arguments.prefixCacheMaxShare
                if !arguments.stages.isEmpty {
                    handler = StepExecutor(engine: try firstStage(arguments, options: engineOptions, say: say))
                } else {
                    let weights = try ModelWeights(path: arguments.modelPath)
                    readIntoMemory(
                        weights.file.mapping, path: arguments.modelPath, availableBytes: options.availableMemoryBytes,
                        say: say)
                    handler = StepExecutor(engine: Engine(weights: weights, options: engineOptions))
                }
            } catch {
                throw WorkerProcessError(.modelUnavailable, "cannot load model \(arguments.modelPath): \(error)")
            }
        }
        let loop = WorkerLoop(
            segment: endpoint.segment, handler: handler, modelName: arguments.modelName,
            maxBatchTokens: arguments.maxBatchTokens)
        do {
            try loop.run()
        } catch {
            throw WorkerProcessError(.stopped, "worker stopped: \(error)")
        }
        endpoint.heartbeat.stop()
    }
}

extension WorkerProcess {
    /// Reads the model file at `path` into memory before the worker says hello, locked there when the machine has
    /// room for it (a server idles between requests: its model's pages must stay resident rather than be read back
    /// from disk), with a progress line every five seconds when the disk is slow, so a long load shows in the
    /// gateway's log.
    static func readIntoMemory(
        _ mapping: MappedFile, path: String, availableBytes: Int?, say: (String) -> Void
    ) {
        let size = mapping.bytes.count
        let room = availableBytes.map { $0 - (1 << 30) } ?? Int.max
        let started = ContinuousClock.now
        var reported = started
        let refusal = mapping.readIntoMemory(lock: size <= room) { done in
            let now = ContinuousClock.now
            guard now - reported >= .seconds(5) else { return }
            reported = now
            let seconds = (now - started).components.seconds
            say(
                "loading \(path): \(ByteCount.gibibytes(done)) of \(ByteCount.gibibytes(size)) GiB read (\(done * 100 / size)%, \(seconds) s)"
            )
        }
        if size > room {
            say("\(path) (\(ByteCount.gibibytes(size)) GiB) is larger than the free memory; not locking it in memory")
        } else if let refusal {
            say("could not lock \(path) in memory (\(refusal)); continuing")
        }
    }
}

extension WorkerProcess {
    /// Throws `kvCacheUnavailable` when a KV cache of `mebibytes` cannot be allocated (more than the machine's
    /// memory, or than the process's address-space limit allows), instead of the engine's allocation trapping (or,
    /// with overcommit, the machine running out of memory later); the memory is given back at once, for the engine.
    static func reserveKVCache(mebibytes: Int) throws(WorkerProcessError) {
        let (bytes, overflow) = max(1, mebibytes).multipliedReportingOverflow(by: 1 << 20)
        let physical = sysconf(Int32(_SC_PHYS_PAGES)) * sysconf(Int32(_SC_PAGESIZE))
        guard !overflow, physical <= 0 || bytes <= physical, let memory = malloc(bytes) else {
            throw WorkerProcessError(
                .kvCacheUnavailable,
                "cannot allocate the KV cache of \(mebibytes) MiB (kv_cache_mib): not enough memory or address space")
        }
        free(memory)
    }
}

/// Why a worker process stopped other than by its gateway going away.
public struct WorkerProcessError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure.
    public enum Code: Sendable, Equatable {
        /// The inherited descriptor is not a usable segment.
        case segmentUnavailable
        /// The model file could not be loaded.
        case modelUnavailable
        /// The KV cache could not be allocated.
        case kvCacheUnavailable
        /// The step loop failed (a bad message, a broken link).
        case stopped
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, in words (the line the worker logs before exiting).
    public let description: String

    /// The status the worker exits with: `WorkerExitStatus.cannotStart` when a restart would meet the same failure,
    /// else 1.
    public var exitStatus: Int32 {
        code == .modelUnavailable || code == .kvCacheUnavailable ? WorkerExitStatus.cannotStart : 1
    }

    /// An error of kind `code`.
    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
