/// A request waiting to be scheduled (new, or resumed after a preemption or a worker's death).
struct WaitingSequence: Sendable {
    /// The request's id.
    let id: UInt64
    /// Its tenant and priority.
    let tenant: String
    let priority: Int
    /// When it was submitted (orders arrivals; the queue time is measured from here).
    let arrival: Duration
    /// Whether it ran before and is waiting to be recomputed.
    let resumed: Bool
}

/// The waiting requests of one model: resumed sequences first, then new requests ordered by priority, then by
/// fair share between tenants, then by arrival. One first-in-first-out lane per (priority, tenant).
struct WaitingQueue: Sendable {
    /// Arrival-ordered requests of one (priority, tenant).
    private struct Lane: Sendable {
        var items: [WaitingSequence] = []
        var head = 0
        var isEmpty: Bool { head == items.count }
        var first: WaitingSequence? { isEmpty ? nil : items[head] }
        mutating func append(_ item: WaitingSequence) { items.append(item) }
        mutating func removeFirst() -> WaitingSequence {
            let item = items[head]
            head += 1
            if head > 64 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return item
        }
    }

    private struct LaneKey: Hashable, Sendable {
        let priority: Int
        let tenant: String
    }

    private var resumed: [WaitingSequence] = []
    private var lanes: [LaneKey: Lane] = [:]
    /// Ids still waiting; a lane entry whose id is gone was cancelled or expired and is skipped.
    private var live: Set<UInt64> = []
    /// New (not resumed) requests waiting.
    private(set) var newCount = 0

    /// All requests waiting, resumed ones included.
    var count: Int { live.count }
    var isEmpty: Bool { live.isEmpty }

    func contains(_ id: UInt64) -> Bool { live.contains(id) }

    /// Queues a request: a resumed one ahead of every new one.
    mutating func push(_ item: WaitingSequence) {
        live.insert(item.id)
        if item.resumed {
            let index =
                resumed.firstIndex {
                    $0.priority < item.priority || ($0.priority == item.priority && $0.arrival > item.arrival)
                } ?? resumed.endIndex
            resumed.insert(item, at: index)
        } else {
            newCount += 1
            lanes[LaneKey(priority: item.priority, tenant: item.tenant), default: Lane()].append(item)
        }
    }

    /// Takes `id` out of the queue (cancelled or expired); returns whether it was waiting.
    @discardableResult
    mutating func remove(_ id: UInt64) -> Bool {
        guard live.remove(id) != nil else { return false }
        if let index = resumed.firstIndex(where: { $0.id == id }) {
            resumed.remove(at: index)
        } else {
            newCount -= 1
        }
        return true
    }

    private mutating func dropDeadHeads() {
        for key in Array(lanes.keys) {
            var lane = lanes[key]!
            while let first = lane.first, !live.contains(first.id) { _ = lane.removeFirst() }
            lanes[key] = lane.isEmpty ? nil : lane
        }
    }

    /// The request to schedule next among those `allowed` admits, without removing it: resumed first,
    /// then the highest priority, then the tenant with the fewest recent tokens, then the earliest arrival.
    mutating func next(
        fairShare: FairShare, at now: Duration, allowed: (WaitingSequence) -> Bool = { _ in true }
    ) -> WaitingSequence? {
        if let first = resumed.first(where: allowed) { return first }
        dropDeadHeads()
        var best: (item: WaitingSequence, usage: Double)?
        for lane in lanes.values {
            guard let head = lane.first, allowed(head) else { continue }
            let usage = fairShare.tokens(of: head.tenant, at: now)
            if let current = best {
                if head.priority != current.item.priority {
                    if head.priority < current.item.priority { continue }
                } else if usage != current.usage {
                    if usage > current.usage { continue }
                } else if head.arrival >= current.item.arrival {
                    continue
                }
            }
            best = (head, usage)
        }
        return best?.item
    }

    /// Removes `item` (which `next` returned).
    mutating func pop(_ item: WaitingSequence) {
        remove(item.id)
        if !item.resumed {
            let key = LaneKey(priority: item.priority, tenant: item.tenant)
            if var lane = lanes[key], lane.first?.id == item.id {
                _ = lane.removeFirst()
                lanes[key] = lane.isEmpty ? nil : lane
            }
        }
    }

    /// New requests that arrived at or before `deadline`, oldest first (for the queue timeout).
    mutating func expired(arrivedBy deadline: Duration) -> [UInt64] {
        dropDeadHeads()
        var ids: [UInt64] = []
        for lane in lanes.values {
            for index in lane.items.indices.dropFirst(lane.head) {
                let item = lane.items[index]
                guard item.arrival <= deadline else { break }
                if live.contains(item.id) { ids.append(item.id) }
            }
        }
        return ids
    }

    /// How many waiting requests go before a new one of `priority`: every resumed one, and the new ones of the same or
    /// a higher priority. One pass over the queue only when some waiting request has a lower priority.
    func countAhead(ofPriority priority: Int) -> Int {
        guard lanes.keys.contains(where: { $0.priority < priority }) else { return count }
        var ahead = resumed.count
        for (key, lane) in lanes where key.priority >= priority {
            ahead += lane.items[lane.head...].count { live.contains($0.id) }
        }
        return ahead
    }

    /// Every waiting id (for failing them all).
    var allIDs: [UInt64] { Array(live) }
}
