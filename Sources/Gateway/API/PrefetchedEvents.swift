import Scheduler

/// The events of a generation whose first event was taken before its response head was sent (so that a request the
/// scheduler refused while it waited in the queue is still answered with its own status), that event first.
struct PrefetchedEvents: AsyncSequence, Sendable {
    /// The element type.
    typealias Element = GenerationEvent
    /// The event taken.
    let first: GenerationEvent
    /// The stream it came from. An `AsyncStream` has one buffer for all its iterators, so a new iterator goes on
    /// where the one that took `first` stopped.
    let rest: GenerationStream

    /// The stream's id in the scheduler.
    var id: UInt64 { rest.id }

    /// Gives `first`, then the rest of the stream.
    struct Iterator: AsyncIteratorProtocol {
        var first: GenerationEvent?
        var rest: GenerationStream.AsyncIterator

        mutating func next() async -> GenerationEvent? {
            if let event = first {
                first = nil
                return event
            }
            return await rest.next()
        }
    }

    /// An iterator that gives `first`, then the rest.
    func makeAsyncIterator() -> Iterator { Iterator(first: first, rest: rest.makeAsyncIterator()) }
}

extension GenerationRun {
    /// Waits for the scheduler's first event of `stream`, the request's first token in the usual case. A request that
    /// ends before it (refused while queued: queue timeout, no live worker; past the request timeout; its client
    /// gone) throws the error it is answered with; otherwise the events from the first on are returned.
    func firstEvent(of stream: GenerationStream) async throws(GatewayError) -> PrefetchedEvents {
        var iterator = stream.makeAsyncIterator()
        let gone = GatewayError(.clientGone, "the client went away")
        guard let first = await iterator.next() else { throw gone }
        switch first {
        case .finished(let finish):
            switch finish.reason {
            case .error(let error): throw GatewayError(error)
            case .cancelled: throw gone
            case .stop, .length: break
            }
        case .token:
            guard isConnected() else {
                model.scheduler.cancel(stream.id)
                throw gone
            }
            guard ContinuousClock.now < deadline else {
                model.scheduler.cancel(stream.id)
                throw GatewayError(.requestTimeout, "the request took longer than the gateway allows")
            }
        }
        return PrefetchedEvents(first: first, rest: stream)
    }
}
