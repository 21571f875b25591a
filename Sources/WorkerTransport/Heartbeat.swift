import Basics
import Foundation
import SharedMemory
import Synchronization

/// Beats this process's heartbeat in a segment every `interval`, from a thread of its own, until it is stopped or
/// released. Both ends use it: the gateway for each worker link (a worker whose gateway's heartbeat stands still
/// for its staleness bound exits), the worker for its whole life (so a long model load or forward pass never looks
/// like a hang; the gateway bounds each step with a deadline of its own instead).
public final class Heartbeat: Sendable {
    /// Set once to end the beating thread; the thread holds this, not the `Heartbeat`, so releasing it stops it.
    private final class StopFlag: Sendable {
        let stopped = Atomic<Bool>(false)
    }

    private let flag = StopFlag()

    /// Starts beating `segment` at once, then every `interval`.
    public init(segment: SharedSegment, interval: Duration = .milliseconds(100)) {
        let microseconds = useconds_t(max(1, interval.inNanoseconds / 1000))
        let thread = Thread { [flag] in
            while !flag.stopped.load(ordering: .relaxed) {
                segment.beat()
                usleep(microseconds)
            }
        }
        thread.name = "batchgate-heartbeat"
        thread.start()
    }

    deinit { stop() }

    /// Stops beating (within one interval); safe to call more than once.
    public func stop() {
        flag.stopped.store(true, ordering: .relaxed)
    }
}
