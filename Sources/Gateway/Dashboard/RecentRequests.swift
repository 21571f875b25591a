import Basics
import Synchronization

/// The last requests that named a model, newest first, for the dashboard's table.
final class RecentRequests: Sendable {
    /// One finished request as the dashboard shows it.
    struct Entry: Sendable, Encodable {
        var id: String
        /// The trace id, when tracing records one on the request's log line; empty otherwise.
        var traceId: String?
        var key: String
        var model: String
        var promptTokens: Int
        var completionTokens: Int
        /// Seconds, nil when no token came.
        var ttft: Double?
        var duration: Double
        var status: Int
        /// Seconds since 1970, when the request ended.
        var ended: Double
    }

    /// How many are kept.
    let capacity: Int
    private let entries: Mutex<[Entry]> = Mutex([])

    /// A list of the last `capacity` requests.
    init(capacity: Int = 50) {
        self.capacity = capacity
    }

    /// Adds a request's finished log line (only lines that named a model: API calls, not health checks).
    func add(_ line: RequestLog, ended: Double) {
        guard let model = line.model else { return }
        let entry = Entry(
            id: line.id, traceId: nil, key: line.key ?? GatewayMetrics.noKey, model: model,
            promptTokens: line.promptTokens, completionTokens: line.completionTokens,
            ttft: line.timeToFirstToken?.inSeconds,
            duration: line.total.inSeconds,
            status: line.status, ended: ended)
        entries.withLock { entries in
            entries.insert(entry, at: 0)
            if entries.count > capacity { entries.removeLast(entries.count - capacity) }
        }
    }

    /// The entries, newest first.
    var all: [Entry] { entries.withLock { $0 } }
}
