import Logging
import Synchronization

/// One request's log line in the making, shared by the middleware that writes it when the answer goes out and the
/// handlers that fill it in (key, model, token counts). A completion writes it itself, later: a stream when it
/// ends, a whole answer with its token counts; the line is written exactly once either way.
final class RequestRecord: Sendable {
    /// When the request arrived: the start of its timeout and of its logged total.
    let started: ContinuousClock.Instant
    private let line: Mutex<RequestLog>
    private let sink: @Sendable (RequestLog) -> Void

    /// A record of the request `id` for `path`; `sink` writes the finished line.
    init(id: String, path: String, started: ContinuousClock.Instant, sink: @escaping @Sendable (RequestLog) -> Void) {
        self.started = started
        line = Mutex(RequestLog(id: id, path: path))
        self.sink = sink
    }

    /// Changes the line.
    func update(_ change: (inout RequestLog) -> Void) {
        line.withLock { change(&$0) }
    }

    /// From now on the handler writes the line (`write`); the middleware leaves it alone.
    func handOver() {
        line.withLock { $0.written = true }
    }

    /// Finishes the line with `change` and the total time, and writes it.
    func write(_ change: (inout RequestLog) -> Void = { _ in }) {
        let finished = line.withLock { log in
            change(&log)
            log.total = ContinuousClock.now - started
            log.written = true
            return log
        }
        sink(finished)
    }

    /// Writes the line with `status`, unless a handler took it over.
    func writeUnlessHandedOver(status: Int) {
        let finished: RequestLog? = line.withLock { log in
            guard !log.written else { return nil }
            log.status = status
            log.total = ContinuousClock.now - started
            log.written = true
            return log
        }
        if let finished { sink(finished) }
    }
}
