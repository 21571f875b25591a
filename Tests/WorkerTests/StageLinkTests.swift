import BatchgateTestSupport
import Foundation
import InferenceCore
import Synchronization
import Testing
import WorkerProtocol

@testable import Worker

/// Pipeline stages over TCP on loopback: `StageServer`s (what `batchgate stage` runs) on threads of the test, the
/// first stage's engine connected to them (`FirstStage.engine`).
@Suite("Pipeline stage links")
struct StageLinkTests {
    /// A stage server on a loopback port, serving on a thread of its own until `stop()`.
    final class RunningStage: @unchecked Sendable {
        let server: StageServer
        let listener: StageListener
        let lines = Mutex<[String]>([])
        let done = DispatchSemaphore(value: 0)

        init(path: String, layers: Range<Int>, idleTimeout: Duration = .seconds(15)) throws {
            server = try StageServer(
                .init(modelPath: path, layers: layers, threads: 2, kvCacheMiB: 16, idleTimeout: idleTimeout))
            listener = try StageListener(host: "127.0.0.1", port: 0)
            Thread { [self] in
                try? server.serve(listener) { line in self.lines.withLock { $0.append(line) } }
                done.signal()
            }.start()
        }

        var address: StageAddress { StageAddress(host: "127.0.0.1", port: listener.port) }

        func stop() {
            server.stop()
            done.wait()
        }
    }

    /// Four layers, so that two and three stages both split it.
    static func model() throws -> String {
        try WorkerSupport.tinyModel(layers: 4, vocabulary: 512)
    }

    static var options: EngineOptions {
        var options = EngineOptions()
        options.prefixCaching = false
        options.kvCacheMiB = 16
        return options
    }

    @Test(
        "Two and three stages over TCP, whole passes or micro-batches, give the unsplit model's logits, bit for bit",
        arguments: [([2], 1), ([1, 3], 1), ([2], 2), ([1, 3], 3)])
    func identical(boundaries: [Int], microBatches: Int) throws {
        let path = try Self.model()
        let edges = boundaries + [4]
        let stages = try (0..<boundaries.count).map { try RunningStage(path: path, layers: edges[$0]..<edges[$0 + 1]) }
        defer { for stage in stages { stage.stop() } }
        let failures = Mutex<[String]>([])
        var options = Self.options
        options.pipelineMicroBatches = microBatches
        let first = try FirstStage.engine(
            modelPath: path, addresses: stages.map(\.address), options: options,
            onFailure: { reason in failures.withLock { $0.append(reason) } })
        #expect(first.layerRange == 0..<boundaries[0])
        let unsplit = Engine(weights: try ModelWeights(path: path), options: Self.options)
        let expected = try PipelineScript.run(unsplit, vocabulary: 512)
        let actual = try PipelineScript.run(first, vocabulary: 512)
        #expect(actual == expected)
        #expect(failures.withLock { $0 }.isEmpty)
    }

    @Test("A stage that goes away fails the step and calls onFailure once; a new link recomputes the same tokens")
    func stageLost() throws {
        let path = try Self.model()
        let unsplit = Engine(weights: try ModelWeights(path: path), options: Self.options)
        let prompt = PipelineScript.prompt(1, 7, vocabulary: 512)
        let expected = try WorkerSupport.greedy(unsplit, prompt, count: 12)

        let failures = Mutex<[String]>([])
        var stage = try RunningStage(path: path, layers: 2..<4)
        var first = try FirstStage.engine(
            modelPath: path, addresses: [stage.address], options: Self.options,
            onFailure: { reason in failures.withLock { $0.append(reason) } })
        var tokens: [Int32] = []
        let sampling = PipelineScript.sampling
        tokens.append(
            try first.step(StepBatch(admits: [.init(sequence: 1, tokens: prompt, sampling: sampling)]))
                .results[0].token.token)
        for _ in 0..<4 { tokens.append(try first.step(StepBatch(decodes: [1])).results[0].token.token) }
        // The stage stops (its link closes): the next step fails with stage_failed.
        stage.stop()
        do {
            _ = try first.step(StepBatch(decodes: [1]))
            Issue.record("a step without its later stage succeeded")
        } catch {
            #expect(error.code == .stageFailed)
        }
        #expect(failures.withLock { $0.count } == 1)
        // The stage comes back; a new first stage recomputes the sequence from its prompt and output so far.
        stage = try RunningStage(path: path, layers: 2..<4)
        defer { stage.stop() }
        first = try FirstStage.engine(
            modelPath: path, addresses: [stage.address], options: Self.options, onFailure: { _ in })
        tokens.append(
            try first.step(StepBatch(admits: [.init(sequence: 1, tokens: prompt + tokens, sampling: sampling)]))
                .results[0].token.token)
        while tokens.count < expected.count {
            tokens.append(try first.step(StepBatch(decodes: [1])).results[0].token.token)
        }
        #expect(tokens == expected)
    }

    @Test("Heartbeats keep an idle link open past the stage's idle timeout; a silent link is dropped")
    func heartbeats() throws {
        let path = try Self.model()
        let stage = try RunningStage(path: path, layers: 1..<4, idleTimeout: .milliseconds(600))
        defer { stage.stop() }
        var timing = RemoteStage.Timing()
        timing.heartbeatInterval = .milliseconds(100)
        let first = try FirstStage.engine(
            modelPath: path, addresses: [stage.address], options: Self.options, timing: timing, onFailure: { _ in })
        Thread.sleep(forTimeInterval: 1.5)
        let output = try first.step(
            StepBatch(admits: [.init(sequence: 1, tokens: [1, 2, 3], sampling: PipelineScript.sampling)]))
        #expect(output.results.count == 1)

        // A peer that reads the hello and then says nothing is dropped after the idle timeout.
        let other = try RunningStage(path: path, layers: 1..<4, idleTimeout: .milliseconds(600))
        defer { other.stop() }
        let silent = try StageSocket.connect(host: "127.0.0.1", port: other.listener.port, timeout: .seconds(5))
        let hello = try #require(try silent.receive(timeout: .seconds(5)))
        #expect(try StageHello(decoding: hello).firstLayer == 1)
        let started = ContinuousClock.now
        #expect(try silent.receive(timeout: .seconds(5)) == nil)
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(other.lines.withLock { $0 }.contains { $0.contains("not even a heartbeat") })
    }

    @Test("A stage refuses layer 0, and a first stage refuses stages that do not reach the last layer")
    func refusals() throws {
        let path = try Self.model()
        #expect(throws: EngineError.self) { try StageServer(.init(modelPath: path, layers: 0..<2)) }
        let stage = try RunningStage(path: path, layers: 1..<3)
        defer { stage.stop() }
        do {
            _ = try FirstStage.engine(
                modelPath: path, addresses: [stage.address], options: Self.options, onFailure: { _ in })
            Issue.record("a pipeline missing layer 3 was accepted")
        } catch {
            #expect("\(error)".contains("end at layer 2, not at the model's last layer 3"))
        }
        #expect(StageAddress("[::1]:7070") == StageAddress(host: "::1", port: 7070))
        #expect(StageAddress("node-b:0") == nil)
        #expect(StageAddress("::1:7070") == nil)
    }
}
