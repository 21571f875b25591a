import Testing

@testable import Scheduler

/// The waiting queue on its own: resumed first, then priority, then fair share, then arrival.
@Suite("Waiting queue")
struct WaitingQueueTests {
    static func item(
        _ id: UInt64, tenant: String = "a", priority: Int = 0, arrival: Duration = .zero, resumed: Bool = false
    ) -> WaitingSequence {
        WaitingSequence(id: id, tenant: tenant, priority: priority, arrival: arrival, resumed: resumed)
    }

    /// Pops every request in the order `next` gives them.
    static func drain(_ queue: inout WaitingQueue, fairShare: FairShare = FairShare(halfLife: .zero)) -> [UInt64] {
        drainAt(&queue, fairShare: fairShare, now: .zero)
    }

    /// Pops every request in the order `next` gives them at `now`.
    static func drainAt(_ queue: inout WaitingQueue, fairShare: FairShare, now: Duration) -> [UInt64] {
        var order: [UInt64] = []
        while let next = queue.next(fairShare: fairShare, at: now) {
            queue.pop(next)
            order.append(next.id)
        }
        return order
    }

    @Test("Arrivals of one tenant and priority leave first in, first out")
    func fifo() {
        var queue = WaitingQueue()
        for id in 1...5 { queue.push(Self.item(UInt64(id), arrival: .seconds(id))) }
        #expect(queue.count == 5)
        #expect(queue.newCount == 5)
        #expect(Self.drain(&queue) == [1, 2, 3, 4, 5])
        #expect(queue.isEmpty)
    }

    @Test("A higher priority goes first; a resumed sequence goes before every new request")
    func priorityAndResumed() {
        var queue = WaitingQueue()
        queue.push(Self.item(1, priority: 0, arrival: .seconds(1)))
        queue.push(Self.item(2, priority: 5, arrival: .seconds(2)))
        queue.push(Self.item(3, priority: 0, arrival: .seconds(3), resumed: true))
        #expect(queue.newCount == 2)
        #expect(Self.drain(&queue) == [3, 2, 1])
    }

    @Test("Between tenants of one priority, the one with the fewest recent tokens goes first")
    func fairShareOrder() {
        var fairShare = FairShare(halfLife: .seconds(60))
        fairShare.charge("busy", tokens: 1000, at: .zero)
        var queue = WaitingQueue()
        queue.push(Self.item(1, tenant: "busy", arrival: .seconds(1)))
        queue.push(Self.item(2, tenant: "quiet", arrival: .seconds(2)))
        #expect(Self.drain(&queue, fairShare: fairShare) == [2, 1])
    }

    @Test("A removed request is skipped; removing twice or an unknown id says so")
    func remove() {
        var queue = WaitingQueue()
        for id in 1...3 { queue.push(Self.item(UInt64(id), arrival: .seconds(id))) }
        let removed = queue.remove(1)
        let again = queue.remove(1)
        let unknown = queue.remove(99)
        #expect(removed && !again && !unknown)
        #expect(!queue.contains(1))
        #expect(Self.drain(&queue) == [2, 3])
    }

    @Test("`next` respects what is allowed and takes nothing out")
    func allowed() {
        var queue = WaitingQueue()
        queue.push(Self.item(1, tenant: "a", arrival: .seconds(1)))
        queue.push(Self.item(2, tenant: "b", arrival: .seconds(2)))
        let next = queue.next(fairShare: FairShare(halfLife: .zero), at: .zero) { $0.tenant == "b" }
        #expect(next?.id == 2)
        #expect(queue.count == 2)
    }

    @Test("Expired lists the new requests that arrived by the deadline")
    func expired() {
        var queue = WaitingQueue()
        for id in 1...4 { queue.push(Self.item(UInt64(id), tenant: id % 2 == 0 ? "a" : "b", arrival: .seconds(id))) }
        queue.push(Self.item(9, arrival: .zero, resumed: true))
        let expired = queue.expired(arrivedBy: .seconds(2))
        #expect(Set(expired) == [1, 2])
        #expect(Set(queue.allIDs) == [1, 2, 3, 4, 9])
    }
}
