import Basics
import SharedMemory
import Testing
import WorkerTransport

@Suite("Worker transport")
struct WorkerTransportTests {
    @Test("A worker's command line is built from its typed arguments, flag by flag")
    func commandLine() {
        let arguments = WorkerArguments(
            modelPath: "/models/m.gguf", modelName: "m", threads: 4, kvCacheMiB: 512, maxBatchTokens: 1024)
        #expect(
            arguments.commandLine(segmentFD: 3) == [
                "worker", "--segment-fd", "3", "--model", "/models/m.gguf", "--name", "m", "--threads", "4",
                "--kv-cache-mib", "512", "--max-batch-tokens", "1024", "--prefix-cache-max-share", "1.0",
            ])
        var fake = arguments
        fake.fakeEngine = true
        #expect(fake.commandLine(segmentFD: 3).last == "--fake-engine")
        var uncached = arguments
        uncached.prefixCache = false
        uncached.prefixCacheMaxShare = 0.5
        #expect(
            uncached.commandLine(segmentFD: 3).suffix(3) == ["--prefix-cache-max-share", "0.5", "--no-prefix-cache"])
        var first = arguments
        first.stages = ["10.0.0.2:7070", "10.0.0.3:7070"]
        first.plainStages = ["10.0.0.3:7070"]
        first.stageTLS = StageTLSFiles(certificate: "/tls/node.pem", key: "/tls/node.key", ca: "/tls/ca.pem")
        #expect(
            first.commandLine(segmentFD: 3).suffix(12) == [
                "--stage", "10.0.0.2:7070", "--stage", "10.0.0.3:7070", "--plain-stage", "10.0.0.3:7070",
                "--stage-tls-certificate", "/tls/node.pem", "--stage-tls-key", "/tls/node.key", "--stage-tls-ca",
                "/tls/ca.pem",
            ])
    }

    @Test("Rings are sized for the largest step, never below 1 MiB, and grow with it")
    func ringCapacity() {
        let small = WorkerProcessLauncher.ringCapacity(
            maxRunning: 8, maxBatchTokens: 128, logitBiases: 512, stopTokens: 2)
        #expect(small == 1 << 20)
        let large = WorkerProcessLauncher.ringCapacity(
            maxRunning: 256, maxBatchTokens: 1 << 18, logitBiases: 152_064, stopTokens: 4)
        #expect(large > small)
        #expect(large & (large - 1) == 0)
    }

    @Test("A heartbeat beats until it is stopped")
    func heartbeat() async throws {
        let segment = try SharedSegment.create(toWorkerCapacity: 1 << 16, toGatewayCapacity: 1 << 16, name: "beat")
        let heartbeat = Heartbeat(segment: segment, interval: .milliseconds(5))
        let side = segment.side
        let start = segment.heartbeat(of: side)
        try await Task.sleep(for: .milliseconds(100))
        #expect(segment.heartbeat(of: side) > start)
        heartbeat.stop()
        try await Task.sleep(for: .milliseconds(50))
        let stopped = segment.heartbeat(of: side)
        try await Task.sleep(for: .milliseconds(100))
        #expect(segment.heartbeat(of: side) == stopped)
    }
}
