/// A worker that stopped answering without exiting: its heartbeat stood still past the link's bound, or a step ran
/// past its deadline. The supervisor treats it as a death (kills the process, requeues its sequences, restarts it)
/// and counts it in `batchgate_worker_hangs_total` as well.
public struct WorkerHang: Error, CustomStringConvertible, Sendable {
    /// What was seen, in words.
    public let description: String
    /// Creates the error.
    public init(_ description: String) { self.description = description }
}
