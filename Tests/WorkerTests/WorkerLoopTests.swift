import BatchgateTestSupport
import Foundation
import Glibc
import InferenceCore
import SharedMemory
import Testing
import Worker
import WorkerProtocol

/// `WorkerLoop` in this process, on both ends of one segment.
@Suite
struct WorkerLoopTests {
    /// A loop on the worker view of a fresh segment, plus the gateway's rings.
    func link(stalenessBound: Duration) throws -> (loop: WorkerLoop, toWorker: ByteRing, fromWorker: ByteRing) {
        let model = try WorkerSupport.tinyModel()
        defer { try? FileManager.default.removeItem(atPath: (model as NSString).deletingLastPathComponent) }
        let gateway = try SharedSegment.create(toWorkerCapacity: 1 << 14, toGatewayCapacity: 1 << 14)
        let worker = try SharedSegment.open(fileDescriptor: try gateway.duplicateDescriptor())
        var options = EngineOptions()
        options.kvCacheMiB = 1
        let engine = Engine(weights: try ModelWeights(path: model), options: options)
        let loop = WorkerLoop(
            segment: worker, engine: engine, modelName: "tiny", maxBatchTokens: 64, stalenessBound: stalenessBound)
        let monitor = PeerMonitor(segment: gateway, stalenessBound: .seconds(60))
        return (loop, .outgoing(monitor), .incoming(monitor))
    }

    @Test func undecodableMessageEndsTheLoopWithAnError() throws {
        let (loop, toWorker, fromWorker) = try link(stalenessBound: .seconds(60))
        try toWorker.write([0xde, 0xad, 0xbe, 0xef, 1, 2, 3])
        #expect(throws: WorkerError.self) { try loop.run() }
        let hello = try Hello(decoding: fromWorker.read(timeout: .seconds(1)))
        #expect(hello.modelName == "tiny" && hello.maxBatchTokens == 64)
    }

    @Test func staleGatewayEndsTheLoopCleanly() throws {
        let (loop, _, fromWorker) = try link(stalenessBound: .milliseconds(200))
        let start = ContinuousClock.now
        try loop.run()
        #expect(ContinuousClock.now - start < .seconds(5))
        _ = try Hello(decoding: fromWorker.read(timeout: .seconds(1)))
    }
}
