import ArgumentParser
import BatchgateConfig
import Foundation
import GGUF
import InferenceCore
import SharedMemory
import Worker

/// `batchgate worker`: the worker process the gateway spawns for one model; never started by hand.
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

    @Option(name: .customLong("segment-fd"), help: "The inherited shared-memory segment descriptor.")
    var segmentFD: Int32

    @Option(help: "The model file (.gguf: llama, qwen, qwen2 or qwen3).")
    var model: String

    @Option(help: "The model's name, as the gateway knows it.")
    var name: String

    @Option(name: .customLong("gateway-pid"), help: "The gateway's pid (default: the one in the segment header).")
    var gatewayPID: Int32?

    @Option(help: "Compute threads.")
    var threads: Int = 2

    @Option(name: .customLong("kv-cache-mib"), help: "KV cache size in MiB.")
    var kvCacheMiB: Int = 256

    @Option(name: .customLong("max-batch-tokens"), help: "The most tokens one step may carry.")
    var maxBatchTokens: Int = 2048

    @Flag(
        name: .customLong("fake-engine"),
        help: "Benchmarks only: answer with the deterministic fake engine instead of running the model.")
    var fakeEngine = false

    func run() throws {
        let segment: SharedSegment
        do {
            segment = try SharedSegment.open(fileDescriptor: segmentFD)
        } catch {
            throw fail("cannot open segment fd \(segmentFD): \(error)")
        }
        let parent = gatewayPID ?? segment.identity(of: .gateway)?.pid ?? getppid()
        guard setParentDeathSignal(SIGKILL, expectedParent: parent) else {
            // The gateway is already gone: nothing to serve.
            throw ExitCode.success
        }
        // Beat from a thread of its own, so that a long model load or forward pass never looks like a hang to
        // the gateway (which bounds each step with a deadline of its own instead).
        let heartbeat = Thread {
            while true {
                segment.beat()
                usleep(100_000)
            }
        }
        heartbeat.start()
        let handler: any StepHandling
        if fakeEngine {
            // Benchmarks of the gateway only: deterministic tokens, no model, a KV budget as if of kvCacheMiB.
            handler = FakeEngine(
                kvBlocksTotal: max(64, kvCacheMiB * 64), kvBlockSize: 16, maxBatchTokens: maxBatchTokens,
                maxRunning: 1 << 16)
        } else {
            do {
                var options = EngineOptions()
                options.threads = threads
                options.kvCacheMiB = kvCacheMiB
                let weights = try ModelWeights(path: model)
                readIntoMemory(weights.file.mapping)
                handler = StepExecutor(engine: Engine(weights: weights, options: options))
            } catch {
                throw fail("cannot load model \(model): \(error)")
            }
        }
        let loop = WorkerLoop(segment: segment, handler: handler, modelName: name, maxBatchTokens: maxBatchTokens)
        do {
            try loop.run()
        } catch {
            throw fail("worker stopped: \(error)")
        }
    }

    /// Reads the model file into memory before saying hello, locked there when the machine has room for it (a
    /// server idles between requests: its model's pages must stay resident rather than be read back from disk),
    /// with a progress line every five seconds when the disk is slow, so a long load shows in the gateway's log.
    private func readIntoMemory(_ mapping: MappedFile) {
        let size = mapping.bytes.count
        let room = SystemMemory.availableBytes().map { $0 - (1 << 30) } ?? Int.max
        let started = ContinuousClock.now
        var reported = started
        let refusal = mapping.readIntoMemory(lock: size <= room) { done in
            let now = ContinuousClock.now
            guard now - reported >= .seconds(5) else { return }
            reported = now
            let seconds = (now - started).components.seconds
            say(
                "loading \(model): \(gibibytes(done)) of \(gibibytes(size)) GiB read (\(done * 100 / size)%, \(seconds) s)"
            )
        }
        if size > room {
            say("\(model) (\(gibibytes(size)) GiB) is larger than the free memory; not locking it in memory")
        } else if let refusal {
            say("could not lock \(model) in memory (\(refusal)); continuing")
        }
    }

    /// `bytes` in GiB with one decimal.
    private func gibibytes(_ bytes: Int) -> String {
        let tenths = (bytes * 10 + (1 << 29)) >> 30
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// Writes a line to standard error, which the gateway's log shows.
    private func say(_ line: String) {
        FileHandle.standardError.write(Data("batchgate worker: \(line)\n".utf8))
    }

    private func fail(_ message: String) -> ExitCode {
        say(message)
        return ExitCode(1)
    }
}
