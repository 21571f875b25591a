/// Watches the other process of a segment: it is dead when its pid is gone or a zombie, when the
/// pid now belongs to a process with another start time, or when its heartbeat has not moved for
/// longer than `stalenessBound`. Also beats this side's heartbeat.
///
/// Not `Sendable`: one per process side, used by the thread that drives the link.
public final class PeerMonitor {
    /// The segment watched.
    public let segment: SharedSegment
    /// How long the peer's heartbeat may stand still before the peer counts as dead.
    public let stalenessBound: Duration
    /// How often a waiting side wakes to check on the peer (the futex timeout).
    public let pollInterval: Duration

    private let clock = ContinuousClock()
    private var lastBeatSeen: UInt64
    private var lastBeatChange: ContinuousClock.Instant

    /// Creates a monitor; the staleness clock starts now.
    public init(
        segment: SharedSegment, stalenessBound: Duration = .seconds(5), pollInterval: Duration = .milliseconds(50)
    ) {
        self.segment = segment
        self.stalenessBound = stalenessBound
        self.pollInterval = pollInterval
        self.lastBeatSeen = segment.heartbeat(of: segment.side.peer)
        self.lastBeatChange = clock.now
    }

    /// Bumps this side's heartbeat; call it regularly, also while busy outside the link.
    public func beat() {
        segment.beat()
    }

    /// Throws `peerDied` when the peer is gone, replaced or stale. A peer that has not registered
    /// yet is judged by staleness alone, counted from this monitor's creation.
    public func checkPeer() throws(SharedMemoryError) {
        let peer = segment.side.peer
        if let identity = segment.identity(of: peer), !identity.isAlive {
            throw SharedMemoryError(.peerDied, "\(peer) process \(identity.pid) is gone")
        }
        let now = clock.now
        let beat = segment.heartbeat(of: peer)
        if beat != lastBeatSeen {
            lastBeatSeen = beat
            lastBeatChange = now
        } else if now - lastBeatChange > stalenessBound {
            throw SharedMemoryError(.peerDied, "\(peer) heartbeat stale for more than \(stalenessBound)")
        }
    }
}
