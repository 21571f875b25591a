import Scheduler
import SharedMemory
import WorkerProtocol

/// How to start `batchgate worker` processes for one model: the executable, the worker's arguments as one typed
/// value, the ring size and the time limits. The executable chooses it as the transport of `serve`.
public struct WorkerProcessLauncher: WorkerLauncher {
    /// The `batchgate` executable.
    public var executable: String
    /// What each worker is started with (model, name, threads, KV cache, batch limit).
    public var arguments: WorkerArguments
    /// Ring capacity each way, a power of two.
    public var ringCapacity: Int
    /// How long a worker may take to load its model and say hello.
    public var helloTimeout: Duration
    /// How long a worker may go without a heartbeat before it counts as dead (a stopped or wedged process; the
    /// worker beats from a thread of its own, also while it computes).
    public var stalenessBound: Duration
    /// The longest one step may take before its worker counts as hung.
    public var stepTimeout: Duration

    /// Creates a launcher.
    public init(
        executable: String, arguments: WorkerArguments, ringCapacity: Int = 1 << 20,
        helloTimeout: Duration = .seconds(120), stalenessBound: Duration = .seconds(5),
        stepTimeout: Duration = .seconds(600)
    ) {
        self.executable = executable
        self.arguments = arguments
        self.ringCapacity = ringCapacity
        self.helloTimeout = helloTimeout
        self.stalenessBound = stalenessBound
        self.stepTimeout = stepTimeout
    }

    /// The largest step the gateway-to-worker ring takes.
    public var maxStepBytes: Int { ByteRing.maximumRecordLength(capacity: ringCapacity) }

    /// A ring capacity (a power of two, at least 1 MiB) whose records take a step of `bytes`.
    public static func ringCapacity(forSteps bytes: Int) -> Int {
        var capacity = 1 << 20
        while ByteRing.maximumRecordLength(capacity: capacity) < bytes { capacity *= 2 }
        return capacity
    }

    /// A ring capacity for the largest step a valid request can make: `maxRunning` sequences decoding and twice
    /// as many released, a whole prefill budget of `maxBatchTokens` prompt tokens, and sampling parameters that
    /// bias `logitBiases` tokens, stop at `stopTokens` and carry the longest JSON Schema.
    public static func ringCapacity(maxRunning: Int, maxBatchTokens: Int, logitBiases: Int, stopTokens: Int) -> Int {
        ringCapacity(
            forSteps: Step.encodedSize(decodes: maxRunning, releases: 2 * maxRunning)
                + Admission.encodedSize(tokens: maxBatchTokens, sampling: nil)
                + SamplingParameters.encodedSize(logitBiases: logitBiases, stopTokens: stopTokens)
                + OutputConstraintParameters.largestEncodedSize)
    }

    /// The descriptor number the worker finds its segment at.
    static let childSegmentFD: Int32 = 3

    /// Creates a segment, spawns the worker with the segment as descriptor 3, and returns the link.
    public func launch(index: Int) async throws -> any WorkerLink {
        let segment = try SharedSegment.create(
            toWorkerCapacity: ringCapacity, toGatewayCapacity: ringCapacity, name: "batchgate-worker-\(index)")
        let argv = [executable] + arguments.commandLine(segmentFD: Self.childSegmentFD)
        let pid = try PreparedSpawn(arguments: argv, descriptors: [(segment.fileDescriptor, Self.childSegmentFD)])
            .start()
        return ProcessWorkerLink(
            segment: segment, pid: pid, helloTimeout: helloTimeout, stepTimeout: stepTimeout,
            stalenessBound: stalenessBound)
    }
}
