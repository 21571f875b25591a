import Glibc
import SharedMemory

/// The worker's end of a process link: the segment inherited from the gateway, the parent-death signal set, and
/// this side's `Heartbeat` beating for the life of the process.
public struct WorkerEndpoint: Sendable {
    /// The segment the gateway created for this worker.
    public let segment: SharedSegment
    /// Beats the worker's heartbeat until the process exits.
    public let heartbeat: Heartbeat

    /// Opens the segment at descriptor `segmentFD`, has the kernel kill this process when its parent (the gateway,
    /// `gatewayPID` or the one the segment names) dies, and starts the heartbeat. `nil` when the gateway is gone
    /// already: there is nothing to serve.
    public static func attach(segmentFD: Int32, gatewayPID: Int32? = nil) throws(WorkerTransportError)
        -> WorkerEndpoint?
    {
        let segment: SharedSegment
        do {
            segment = try SharedSegment.open(fileDescriptor: segmentFD)
        } catch {
            throw WorkerTransportError(.segmentUnavailable, "cannot open segment fd \(segmentFD): \(error)")
        }
        let parent = gatewayPID ?? segment.identity(of: .gateway)?.pid ?? getppid()
        guard setParentDeathSignal(SIGKILL, expectedParent: parent) else { return nil }
        return WorkerEndpoint(segment: segment, heartbeat: Heartbeat(segment: segment))
    }
}

/// Why the worker's end of a link could not be set up.
public struct WorkerTransportError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure.
    public enum Code: Sendable, Equatable {
        /// The inherited descriptor is not a usable segment.
        case segmentUnavailable
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, in words.
    public let description: String

    /// An error of kind `code`.
    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
