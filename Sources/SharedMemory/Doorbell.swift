import Basics
import CShims

/// An event count in the segment (a 32-bit sequence word and a waiter count), one per ring: the
/// writer rings it after publishing bytes, the reader after freeing space, and whichever side
/// cannot proceed waits on it.
///
/// No lost wake-ups: a waiter reads the sequence, registers as a waiter, re-checks its condition,
/// then futex-waits only while the sequence still has the value it read. A notifier publishes its
/// change, fences, and bumps the sequence and wakes only when someone is registered; the fences
/// on both sides (Dekker) guarantee that either the waiter's re-check sees the change or the
/// notifier sees the waiter and changes the sequence, which makes the futex wait return.
/// Skipping the bump when nobody waits keeps the sequence's cache line out of the hot path.
struct Doorbell {
    let sequence: UnsafeMutablePointer<UInt32>
    let waiters: UnsafeMutablePointer<UInt32>
    /// Attempts, each after a pause hint, before a waiter sleeps.
    var spinIterations = 200

    init(segment: SharedSegment, direction: RingDirection) {
        let offset = SegmentLayout.doorbellOffset(direction)
        sequence = segment.word32(offset)
        waiters = segment.word32(offset + 4)
    }

    /// Wakes the waiters, if any; call after a release store that publishes the change.
    func notify() {
        bg_fence_seq_cst()
        if bg_load_acquire_u32(waiters) != 0 {
            _ = bg_fetch_add_u32(sequence, 1)
            _ = bg_futex_wake(sequence, Int32.max)
        }
    }

    /// Calls `attempt` until it returns `true`: a bounded spin first, then futex sleeps of at most
    /// `monitor.pollInterval`, after each of which the peer is checked and this side beats. Throws
    /// `timedOut` at `deadline` (`nil`: none) and `peerDied` when the peer is dead and a last attempt
    /// also fails.
    func wait(
        deadline: ContinuousClock.Instant?, monitor: PeerMonitor, attempt: () throws -> Bool
    ) throws {
        for _ in 0..<spinIterations {
            bg_cpu_relax()
            if try attempt() { return }
        }
        let clock = ContinuousClock()
        let poll = monitor.pollInterval
        var lastCheck = clock.now
        while true {
            let seen = bg_load_acquire_u32(sequence)
            _ = bg_fetch_add_u32(waiters, 1)
            bg_fence_seq_cst()
            let done: Bool
            do {
                done = try attempt()
            } catch {
                _ = bg_fetch_sub_u32(waiters, 1)
                throw error
            }
            if done {
                _ = bg_fetch_sub_u32(waiters, 1)
                return
            }
            var slice = poll
            if let deadline { slice = min(slice, max(deadline - clock.now, .zero)) }
            if slice > .zero { _ = bg_futex_wait(sequence, seen, slice.inNanoseconds) }
            _ = bg_fetch_sub_u32(waiters, 1)
            if try attempt() { return }

            let now = clock.now
            let expired = deadline.map { now >= $0 } ?? false
            if expired || now - lastCheck >= poll {
                lastCheck = now
                monitor.beat()
                do {
                    try monitor.checkPeer()
                } catch {
                    // The dead peer cannot change the ring any more: one last look decides.
                    if try attempt() { return }
                    throw error
                }
            }
            if expired { throw SharedMemoryError(.timedOut, "waited longer than the deadline") }
        }
    }
}
