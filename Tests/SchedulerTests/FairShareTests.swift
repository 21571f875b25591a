import Testing

@testable import Scheduler

/// Fair share on its own: decaying token counts per tenant.
@Suite("Fair share")
struct FairShareTests {
    @Test("A tenant's tokens halve every half-life")
    func decay() {
        var share = FairShare(halfLife: .seconds(10))
        share.charge("a", tokens: 800, at: .zero)
        #expect(share.tokens(of: "a", at: .zero) == 800)
        #expect(abs(share.tokens(of: "a", at: .seconds(10)) - 400) < 1e-9)
        #expect(abs(share.tokens(of: "a", at: .seconds(30)) - 100) < 1e-9)
        #expect(share.tokens(of: "nobody", at: .zero) == 0)
    }

    @Test("Charges add to the decayed count")
    func charges() {
        var share = FairShare(halfLife: .seconds(10))
        share.charge("a", tokens: 100, at: .zero)
        share.charge("a", tokens: 50, at: .seconds(10))
        #expect(abs(share.tokens(of: "a", at: .seconds(10)) - 100) < 1e-9)
    }

    @Test("A zero half-life turns fair share off")
    func off() {
        var share = FairShare(halfLife: .zero)
        share.charge("a", tokens: 100, at: .zero)
        #expect(share.tokens(of: "a", at: .zero) == 0)
        #expect(share.activeTenants(at: .zero).isEmpty)
    }

    @Test("A tenant is active for one half-life after it was served, and pruned once below one token")
    func activityAndPruning() {
        var share = FairShare(halfLife: .seconds(10))
        share.charge("a", tokens: 4, at: .zero)
        share.charge("b", tokens: 4000, at: .zero)
        #expect(share.isActive("a", at: .seconds(10)))
        #expect(!share.isActive("a", at: .seconds(11)))
        #expect(Set(share.activeTenants(at: .seconds(5))) == ["a", "b"])
        share.prune(at: .seconds(30))
        #expect(share.tokens(of: "a", at: .seconds(30)) == 0)
        #expect(share.tokens(of: "b", at: .seconds(30)) > 1)
    }

    @Test("A charge at an earlier instant than the last does not grow the count")
    func clockOrder() {
        var share = FairShare(halfLife: .seconds(10))
        share.charge("a", tokens: 100, at: .seconds(10))
        #expect(share.tokens(of: "a", at: .seconds(5)) == 100)
    }

    @Test("Shares order tenants by recent service: an old large charge decays below a new small one")
    func orderByShare() {
        var share = FairShare(halfLife: .seconds(10))
        share.charge("old", tokens: 1000, at: .zero)
        share.charge("new", tokens: 300, at: .seconds(20))
        #expect(abs(share.tokens(of: "old", at: .seconds(20)) - 250) < 1e-9)
        #expect(share.tokens(of: "old", at: .seconds(20)) < share.tokens(of: "new", at: .seconds(20)))
        // The queue serves the tenant with the smaller share first, though its request came later.
        var queue = WaitingQueue()
        queue.push(WaitingQueueTests.item(1, tenant: "new", arrival: .seconds(1)))
        queue.push(WaitingQueueTests.item(2, tenant: "old", arrival: .seconds(2)))
        #expect(WaitingQueueTests.drainAt(&queue, fairShare: share, now: .seconds(20)) == [2, 1])
        // Ten seconds earlier the old tenant's share (500) was still the larger.
        var earlier = WaitingQueue()
        earlier.push(WaitingQueueTests.item(1, tenant: "new", arrival: .seconds(1)))
        earlier.push(WaitingQueueTests.item(2, tenant: "old", arrival: .seconds(2)))
        var before = FairShare(halfLife: .seconds(10))
        before.charge("old", tokens: 1000, at: .zero)
        before.charge("new", tokens: 300, at: .seconds(10))
        #expect(WaitingQueueTests.drainAt(&earlier, fairShare: before, now: .seconds(10)) == [1, 2])
    }

    @Test("Equal shares tie, and the tie goes to the earlier arrival, whichever tenant", arguments: [false, true])
    func ties(reversed: Bool) {
        var share = FairShare(halfLife: .seconds(10))
        share.charge("a", tokens: 100, at: .zero)
        share.charge("b", tokens: 100, at: .zero)
        #expect(share.tokens(of: "a", at: .seconds(3)) == share.tokens(of: "b", at: .seconds(3)))
        var queue = WaitingQueue()
        queue.push(WaitingQueueTests.item(1, tenant: "a", arrival: .seconds(reversed ? 2 : 1)))
        queue.push(WaitingQueueTests.item(2, tenant: "b", arrival: .seconds(reversed ? 1 : 2)))
        #expect(WaitingQueueTests.drainAt(&queue, fairShare: share, now: .seconds(3)) == (reversed ? [2, 1] : [1, 2]))
    }

    @Test("Fair share orders within a priority only: a higher priority goes first whatever its share")
    func priorityBeforeShare() {
        var share = FairShare(halfLife: .seconds(10))
        share.charge("busy", tokens: 10_000, at: .zero)
        var queue = WaitingQueue()
        queue.push(WaitingQueueTests.item(1, tenant: "quiet", priority: 0, arrival: .seconds(1)))
        queue.push(WaitingQueueTests.item(2, tenant: "busy", priority: 1, arrival: .seconds(2)))
        queue.push(WaitingQueueTests.item(3, tenant: "busy", priority: 0, arrival: .seconds(3)))
        #expect(WaitingQueueTests.drainAt(&queue, fairShare: share, now: .seconds(1)) == [2, 1, 3])
    }
}
