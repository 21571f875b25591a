import WorkerProtocol

/// What answers a worker's steps: `StepExecutor` on a real engine, or `FakeEngine` for the gateway's overhead
/// benchmark and the scheduler's tests.
public protocol StepHandling: AnyObject {
    /// The handshake, naming the model `modelName` and a step limit of `maxBatchTokens`.
    func hello(modelName: String, maxBatchTokens: Int) -> Hello
    /// Runs one step and answers it; never throws (a failing sequence is reported in the result).
    func handle(_ step: Step) -> StepResult
}

extension StepExecutor: StepHandling {}
