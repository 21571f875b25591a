/// A worker that exited before its hello for a reason a restart does not cure by itself (its model file, its KV
/// cache). The supervisor still retries, but after the longest back-off at once rather than in a quick loop, and
/// `/health/ready` names the failure until a worker starts.
public struct WorkerStartFailure: Error, CustomStringConvertible, Sendable {
    /// What was seen, in words.
    public let description: String
    /// Creates the error.
    public init(_ description: String) { self.description = description }
}
