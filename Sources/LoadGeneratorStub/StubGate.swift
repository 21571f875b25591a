import Basics
import NIOCore
import Synchronization

/// The stub's shared timing state: the capacity gate (generations beyond `capacity` wait in arrival order) and the
/// stall window, which starts relative to the first generation request.
final class StubGate: Sendable {
    private struct State {
        var running = 0
        var waiting: [@Sendable (_ queued: Bool) -> Void] = []
        var firstArrival: NIODeadline?
        var started = 0
        var connections = 0
    }

    let behaviour: StubBehaviour
    private let state = Mutex(State())

    init(behaviour: StubBehaviour) {
        self.behaviour = behaviour
    }

    /// Generation requests started so far.
    var generationsStarted: Int { state.withLock { $0.started } }

    /// Connections accepted so far.
    var connectionsAccepted: Int { state.withLock { $0.connections } }

    /// Counts a newly accepted connection.
    func accepted() {
        state.withLock { $0.connections += 1 }
    }

    /// Notes an arrival (which anchors the stall window) and runs `start` now, or (with `queued` true) when a slot
    /// frees up.
    func admit(_ start: @escaping @Sendable (_ queued: Bool) -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.firstArrival == nil { state.firstArrival = .now() }
            if let capacity = behaviour.capacity, state.running >= capacity {
                state.waiting.append(start)
                return false
            }
            state.running += 1
            state.started += 1
            return true
        }
        if runNow { start(false) }
    }

    /// Frees the slot of a finished generation and starts the next waiting one, if any.
    func release() {
        let next = state.withLock { state -> (@Sendable (Bool) -> Void)? in
            guard !state.waiting.isEmpty else {
                state.running -= 1
                return nil
            }
            state.started += 1
            return state.waiting.removeFirst()
        }
        next?(true)
    }

    /// `deadline`, moved to the end of the stall window when it falls inside it.
    func adjusted(_ deadline: NIODeadline) -> NIODeadline {
        guard let after = behaviour.stallAfter, let first = state.withLock({ $0.firstArrival }) else { return deadline }
        let stallStart = first + .nanoseconds(after.inNanoseconds)
        let stallEnd = stallStart + .nanoseconds(behaviour.stallLength.inNanoseconds)
        return deadline >= stallStart && deadline < stallEnd ? stallEnd : deadline
    }
}
