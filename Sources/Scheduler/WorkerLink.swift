import WorkerProtocol

/// The scheduler's connection to one worker: the handshake, then one `Step` → `StepResult` round trip at a
/// time. A link that throws counts as a dead worker; the supervisor stops it and launches a new one.
public protocol WorkerLink: Sendable {
    /// Waits for the worker's `Hello` (the model is loaded once it arrives).
    func hello() async throws -> Hello
    /// Sends one step and waits for its result.
    func step(_ step: Step) async throws -> StepResult
    /// Ends the worker (kills and reaps a process); safe to call more than once.
    func stop() async
    /// Throws when the worker is known to be gone while no step is out (a process that exited); cheap, called by
    /// an idle step loop about once a second.
    func checkAlive() throws
}

extension WorkerLink {
    /// In-process links never die on their own.
    public func checkAlive() throws {}
}

/// Starts the workers of one model; the supervisor calls it again to restart a dead one.
public protocol WorkerLauncher: Sendable {
    /// Starts worker number `index` of the model and returns its link.
    func launch(index: Int) async throws -> any WorkerLink
    /// The largest `Step` message its links carry (the scheduler plans every step to fit).
    var maxStepBytes: Int { get }
}

extension WorkerLauncher {
    /// No limit, for links that pass steps as values.
    public var maxStepBytes: Int { .max }
}

/// A worker that runs in this process: each step is handed to `handler` on the calling task. Tests use it
/// with a deterministic fake engine or with a real `Engine` behind `Worker.StepExecutor`.
public struct InProcessWorkerLink: WorkerLink {
    private let greeting: Hello
    private let handler: @Sendable (Step) async throws -> StepResult

    /// A link that answers `hello` with `hello` and every step with `handler`.
    public init(hello: Hello, handler: @escaping @Sendable (Step) async throws -> StepResult) {
        greeting = hello
        self.handler = handler
    }

    /// The handshake given at creation.
    public func hello() async throws -> Hello { greeting }
    /// Runs `handler`.
    public func step(_ step: Step) async throws -> StepResult { try await handler(step) }
    /// Nothing to stop.
    public func stop() async {}
}

/// Launches in-process workers from a closure (for tests and benchmarks).
public struct InProcessWorkerLauncher: WorkerLauncher {
    private let make: @Sendable (Int) async throws -> any WorkerLink
    /// The step size limit the scheduler plans for (unlimited unless a test asks for one).
    public let maxStepBytes: Int

    /// A launcher that calls `make` with the worker index.
    public init(maxStepBytes: Int = .max, _ make: @escaping @Sendable (Int) async throws -> any WorkerLink) {
        self.maxStepBytes = maxStepBytes
        self.make = make
    }

    /// Calls the closure.
    public func launch(index: Int) async throws -> any WorkerLink { try await make(index) }
}

/// A worker link broke in a way the transport does not name: a spawn failure, a protocol mismatch.
public struct WorkerLinkError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public let description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}
