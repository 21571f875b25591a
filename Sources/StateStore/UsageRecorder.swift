import Logging
import Synchronization

/// Takes finished requests off the response path and writes them to the store in batches. Records wait in a
/// bounded buffer; while the store is down they stay there (oldest first) and, once it is full, new ones are
/// dropped and counted.
public final class UsageRecorder: Sendable {
    struct Buffer {
        var records: [UsageRecord] = []
        var dropped = 0
        var storeDown = false
    }

    /// Where records go.
    public let store: any StateStore
    /// Most records held while waiting for the store.
    public let capacity: Int
    /// Most records in one write.
    public let batchSize: Int
    /// How often the buffer is written.
    public let interval: Duration
    private let buffer = Mutex(Buffer())
    private let onDrop: @Sendable (Int) -> Void
    private let logger: Logger

    /// A recorder writing to `store` every `interval`, or sooner once `batchSize` records wait; `onDrop` is told
    /// how many records were dropped (for a counter metric).
    public init(
        store: any StateStore, capacity: Int = 10_000, batchSize: Int = 500, interval: Duration = .seconds(1),
        logger: Logger, onDrop: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        precondition(capacity > 0 && batchSize > 0, "the usage buffer and batch need room for a record")
        self.store = store
        self.capacity = capacity
        self.batchSize = batchSize
        self.interval = interval
        self.logger = logger
        self.onDrop = onDrop
    }

    /// Queues one record; never waits. False when the buffer was full and the record was dropped.
    @discardableResult
    public func record(_ record: UsageRecord) -> Bool {
        let accepted = buffer.withLock { buffer -> Bool in
            guard buffer.records.count < capacity else {
                buffer.dropped += 1
                return false
            }
            buffer.records.append(record)
            return true
        }
        if !accepted { onDrop(1) }
        return accepted
    }

    /// Records waiting to be written.
    public var pending: Int { buffer.withLock { $0.records.count } }
    /// Records dropped since start because the buffer was full.
    public var dropped: Int { buffer.withLock { $0.dropped } }
    /// Whether the last write failed.
    public var storeDown: Bool { buffer.withLock { $0.storeDown } }

    /// Writes batches until cancelled, then writes what is left (one try).
    public func run() async {
        while !Task.isCancelled {
            await sleepOrWake()
            while await flushOnce() {}
        }
        while await flushOnce() {}
    }

    /// Writes one batch; true when it wrote a full batch and more may wait.
    @discardableResult
    public func flushOnce() async -> Bool {
        let batch = buffer.withLock { Array($0.records.prefix(batchSize)) }
        guard !batch.isEmpty else { return false }
        do {
            try await store.insertUsage(batch)
            let wasDown = buffer.withLock { buffer in
                buffer.records.removeFirst(batch.count)
                defer { buffer.storeDown = false }
                return buffer.storeDown
            }
            if wasDown { logger.notice("usage store reachable again", metadata: ["pending": "\(pending)"]) }
            return batch.count == batchSize
        } catch {
            let wasDown = buffer.withLock { buffer in
                defer { buffer.storeDown = true }
                return buffer.storeDown
            }
            if !wasDown {
                logger.warning("usage records wait in memory: \(error)", metadata: ["pending": "\(pending)"])
            }
            return false
        }
    }

    /// Sleeps until `interval` has passed or a full batch waits, looking every 50 ms at most.
    private func sleepOrWake() async {
        let deadline = ContinuousClock.now + interval
        while !Task.isCancelled, ContinuousClock.now < deadline, pending < batchSize {
            try? await Task.sleep(for: min(.milliseconds(50), deadline - ContinuousClock.now))
        }
    }
}
