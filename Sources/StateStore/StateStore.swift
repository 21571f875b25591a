import Foundation

/// The state that outlives one request and may be shared between nodes: usage records, quota leases and the
/// membership table. `SQLStateStore` keeps it in SQLite (one node) or PostgreSQL (a cluster).
public protocol StateStore: Sendable {
    /// Writes finished requests, all at once.
    func insertUsage(_ records: [UsageRecord]) async throws
    /// Sums usage as `query` asks.
    func usage(_ query: UsageQuery) async throws -> UsageReport
    /// Takes up to `request.amount` of a bucket's budget in one window; returns what was granted (0 when spent).
    func takeLease(_ request: LeaseRequest) async throws -> Int
    /// Gives back `amount` unused units of a bucket's window.
    func returnLease(bucket: String, windowStart: Date, amount: Int) async throws
    /// Changes this node's hold on a concurrency quota's slots (see `SlotRequest`); returns what it holds now.
    func leaseSlots(_ request: SlotRequest) async throws -> SlotHolding
    /// Records this node's heartbeat.
    func heartbeat(_ member: Member) async throws
    /// The nodes whose last heartbeat is at or after `seenSince`.
    func members(seenSince: Date) async throws -> [Member]
    /// Closes the store's connection.
    func close() async
}

/// A slice of a quota's budget a node asks for.
public struct LeaseRequest: Sendable, Equatable {
    /// The quota: key, model and kind, e.g. `team-a/llama/requests`.
    public var bucket: String
    /// The start of the window the budget belongs to.
    public var windowStart: Date
    /// The whole window's budget across the cluster.
    public var limit: Int
    /// How much the node wants.
    public var amount: Int

    /// Creates a request.
    public init(bucket: String, windowStart: Date, limit: Int, amount: Int) {
        self.bucket = bucket
        self.windowStart = windowStart
        self.limit = limit
        self.amount = amount
    }
}

/// One node as its heartbeat describes it.
public struct Member: Sendable, Equatable {
    /// The node's name.
    public var node: String
    /// Where its peers reach it (`host:port`).
    public var address: String
    /// The models it serves.
    public var models: [String]
    /// Its worker processes.
    public var workers: Int
    /// Requests waiting in its queues.
    public var queueDepth: Int
    /// Free KV cache blocks over its models.
    public var freeKVBlocks: Int
    /// When the heartbeat was written.
    public var seenAt: Date

    /// Creates a member.
    public init(
        node: String, address: String, models: [String], workers: Int, queueDepth: Int, freeKVBlocks: Int,
        seenAt: Date
    ) {
        self.node = node
        self.address = address
        self.models = models
        self.workers = workers
        self.queueDepth = queueDepth
        self.freeKVBlocks = freeKVBlocks
        self.seenAt = seenAt
    }
}
