import BatchgateTestSupport
import Foundation
import Glibc
import InferenceCore
import SharedMemory
import Testing
import WorkerProtocol

/// The real `batchgate worker` process on a shared-memory segment.
@Suite(.serialized)
struct WorkerProcessTests {
    static let prompt: [Int32] = [1, 15, 200, 37, 99, 4]
    static let generated = 8

    /// The gateway end of a segment: a monitor and both rings.
    final class GatewayEnd {
        let segment: SharedSegment
        let monitor: PeerMonitor
        let toWorker: ByteRing
        let fromWorker: ByteRing

        init() throws {
            segment = try SharedSegment.create(toWorkerCapacity: 1 << 16, toGatewayCapacity: 1 << 16)
            monitor = PeerMonitor(segment: segment, stalenessBound: .seconds(60))
            toWorker = .outgoing(monitor)
            fromWorker = .incoming(monitor)
        }

        func hello() throws -> Hello {
            try Hello(decoding: fromWorker.read(timeout: .seconds(60)))
        }

        func send(_ step: Step) throws -> StepResult {
            try toWorker.write(step.encoded(), timeout: .seconds(10))
            return try StepResult(decoding: fromWorker.read(timeout: .seconds(60)))
        }
    }

    /// The descriptor number the worker finds its segment at.
    static let childSegmentFD: Int32 = 3

    func workerArguments(model: String) throws -> [String] {
        [
            try WorkerSupport.executable(), "worker", "--segment-fd", "\(Self.childSegmentFD)", "--model", model,
            "--name", "tiny",
            "--threads", "2", "--kv-cache-mib", "4", "--max-batch-tokens", "512",
        ]
    }

    @Test func workerAnswersStepsWithTheEnginesTokens() throws {
        let model = try WorkerSupport.tinyModel()
        defer { try? FileManager.default.removeItem(atPath: (model as NSString).deletingLastPathComponent) }

        // In process.
        var options = EngineOptions()
        options.threads = 2
        options.kvCacheMiB = 4
        let engine = Engine(weights: try ModelWeights(path: model), options: options)
        var sampling = InferenceCore.SamplingParameters()
        sampling.maxTokens = Self.generated
        sampling.ignoreEOS = true
        var expected = [
            try engine.step(StepBatch(admits: [.init(sequence: 1, tokens: Self.prompt, sampling: sampling)]))
                .results[0].token.token
        ]
        while expected.count < Self.generated {
            expected.append(try engine.step(StepBatch(decodes: [1])).results[0].token.token)
        }

        // In the worker process.
        let gateway = try GatewayEnd()
        let pid = try PreparedSpawn(
            arguments: try workerArguments(model: model),
            descriptors: [(gateway.segment.fileDescriptor, Self.childSegmentFD)]
        ).start()
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }

        let hello = try gateway.hello()
        #expect(hello.processID == pid)
        #expect(hello.modelName == "tiny")
        #expect(hello.architecture == "llama")
        #expect(hello.vocabularySize == 512)
        #expect(hello.contextLength == 256)
        #expect(hello.kvBlockSize == UInt32(engine.kvCache.blockSize))
        #expect(hello.kvBlocksTotal == UInt32(engine.kvCache.blockCount))
        #expect(hello.maxBatchTokens == 512)

        let wire = WorkerProtocol.SamplingParameters(maxTokens: UInt32(Self.generated), ignoreEOS: true)
        var stepID: UInt64 = 1
        var first = try gateway.send(
            Step(
                stepID: stepID,
                admit: [
                    Admission(sequenceID: 1, firstPosition: 0, tokens: Self.prompt, isLastChunk: true, sampling: wire)
                ]))
        #expect(first.stepID == 1)
        #expect(first.errors.isEmpty)
        var tokens = first.tokens.map(\.token)
        while tokens.count < Self.generated {
            stepID += 1
            first = try gateway.send(Step(stepID: stepID, decode: [1]))
            #expect(first.stepID == stepID)
            #expect(first.errors.isEmpty)
            tokens += first.tokens.map(\.token)
        }
        #expect(tokens == expected)
        #expect(first.tokens.last?.finish == .maxTokens)
        #expect(first.forwardNanoseconds > 0)

        // An engine error is a per-sequence error, and the worker goes on answering.
        let bad = try gateway.send(Step(stepID: 100, decode: [77], release: [1]))
        #expect(bad.tokens.isEmpty)
        #expect(bad.errors.map(\.sequenceID) == [77])
        #expect(bad.errors.first?.code == .unknownSequence)
        #expect(bad.kvBlocksFree == UInt32(engine.kvCache.blockCount))
        let again = try gateway.send(
            Step(
                stepID: 101,
                admit: [
                    Admission(sequenceID: 2, firstPosition: 0, tokens: Self.prompt, isLastChunk: true, sampling: wire)
                ]))
        #expect(again.tokens.map(\.token) == [expected[0]])
        #expect(WorkerSupport.isRunning(pid))
    }

    @Test func workerExitsWhenItsParentGatewayDies() throws {
        let model = try WorkerSupport.tinyModel()
        defer { try? FileManager.default.removeItem(atPath: (model as NSString).deletingLastPathComponent) }
        let gateway = try GatewayEnd()
        var pipeEnds: [Int32] = [0, 0]
        try #require(pipe(&pipeEnds) == 0)

        // The intermediate child stands in for a gateway process: it spawns the worker (so it is the
        // worker's parent and the pid the worker watches), reports the pid, and waits to be killed.
        var arguments = try workerArguments(model: model)
        arguments.insert(contentsOf: ["--gateway-pid", "000000000000"], at: 2)
        let spawn = try PreparedSpawn(
            arguments: arguments, descriptors: [(gateway.segment.fileDescriptor, Self.childSegmentFD)])
        let intermediate = fork()
        if intermediate == 0 {
            // Only async-signal-safe calls from here on: the pid goes into the preallocated argument.
            spawn.setArgument(3, to: getpid())
            var pid = spawn.spawn()
            _ = withUnsafeBytes(of: &pid) { write(pipeEnds[1], $0.baseAddress, $0.count) }
            while true { pause() }
        }
        close(pipeEnds[1])
        try #require(intermediate > 0)
        var worker: pid_t = 0
        let got = withUnsafeMutableBytes(of: &worker) { read(pipeEnds[0], $0.baseAddress, $0.count) }
        close(pipeEnds[0])
        try #require(got == MemoryLayout<pid_t>.size && worker > 0)
        defer { kill(worker, SIGKILL) }

        // The worker is up and serving.
        let hello = try gateway.hello()
        #expect(hello.processID == worker)

        // While it serves, the worker holds the segment (so the check below can see a holder).
        #expect(WorkerSupport.processesHolding(descriptor: gateway.segment.fileDescriptor).contains(worker))

        // The "gateway" dies by SIGKILL; this process keeps beating, so only the parent-death signal
        // (not a stale heartbeat) can end the worker within the bound.
        kill(intermediate, SIGKILL)
        var status: Int32 = 0
        waitpid(intermediate, &status, 0)
        let deadline = ContinuousClock.now + .seconds(3)
        while WorkerSupport.isRunning(worker) && ContinuousClock.now < deadline {
            gateway.monitor.beat()
            usleep(10_000)
        }
        #expect(!WorkerSupport.isRunning(worker))
        // Nothing of the worker is left: no process but this one holds the segment's memfd open or mapped, so the
        // segment goes away with this process's descriptor.
        let holders = WorkerSupport.processesHolding(descriptor: gateway.segment.fileDescriptor)
        #expect(holders == [getpid()], "processes holding the segment: \(holders)")
    }
}
