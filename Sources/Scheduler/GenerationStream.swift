/// The events of one submitted request: tokens, then exactly one `.finished`. Cancelling the task that
/// iterates it (or `ModelScheduler.cancel(_:)` with its `id`) cancels the request: it leaves the queue, or its
/// sequence is released at the next step.
public struct GenerationStream: AsyncSequence, Sendable {
    /// The element type.
    public typealias Element = GenerationEvent

    /// The scheduler's id of the request.
    public let id: UInt64
    let events: AsyncStream<GenerationEvent>

    /// An iterator over the events.
    public func makeAsyncIterator() -> AsyncStream<GenerationEvent>.Iterator { events.makeAsyncIterator() }
}
