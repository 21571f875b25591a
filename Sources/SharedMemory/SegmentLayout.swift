/// Byte offsets of everything in a segment. Each field that one side writes often sits on its own
/// 64-byte cache line so the two processes do not bounce lines they do not share.
///
/// ```
///   0  magic (8)   8  version (4, release-stored last)   16 toWorker capacity (8)   24 toGateway capacity (8)
///  64  gateway: pid (4) @64, start time (8) @72, heartbeat (8) @80
/// 128  worker:  pid (4) @128, start time (8) @136, heartbeat (8) @144
/// 192  doorbell toWorker: sequence (4), waiters (4)      256 doorbell toGateway
/// 320  ring toWorker head   384 tail                     448 ring toGateway head   512 tail
/// 4096 ring toWorker data, then ring toGateway data
/// ```
enum SegmentLayout {
    /// "BGSHMEM\0" little-endian.
    static let magic: UInt64 = 0x004D_454D_4853_4742
    /// Bumped whenever an offset below changes.
    static let version: UInt32 = 1

    static let magicOffset = 0
    static let versionOffset = 8
    static let toWorkerCapacityOffset = 16
    static let toGatewayCapacityOffset = 24

    static let cacheLine = 64
    static let headerSize = 4096

    /// The smallest and largest ring capacity (a power of two).
    static let minimumCapacity = 4096
    static let maximumCapacity = 1 << 30

    static func sideOffset(_ side: SegmentSide) -> Int { side == .gateway ? 64 : 128 }
    static func pidOffset(_ side: SegmentSide) -> Int { sideOffset(side) }
    static func startTimeOffset(_ side: SegmentSide) -> Int { sideOffset(side) + 8 }
    static func heartbeatOffset(_ side: SegmentSide) -> Int { sideOffset(side) + 16 }

    static func doorbellOffset(_ direction: RingDirection) -> Int { direction == .toWorker ? 192 : 256 }
    static func headOffset(_ direction: RingDirection) -> Int { direction == .toWorker ? 320 : 448 }
    static func tailOffset(_ direction: RingDirection) -> Int { headOffset(direction) + cacheLine }
}

/// Which process holds a view of the segment.
public enum SegmentSide: Sendable, Hashable {
    /// The gateway, which creates the segment.
    case gateway
    /// The worker, which opens it from an inherited descriptor.
    case worker

    /// The other side.
    public var peer: SegmentSide { self == .gateway ? .worker : .gateway }
}

/// Which way a ring carries bytes.
public enum RingDirection: Sendable, Hashable {
    /// Gateway → worker (steps).
    case toWorker
    /// Worker → gateway (step results).
    case toGateway

    /// The ring `side` writes into.
    public static func outgoing(from side: SegmentSide) -> RingDirection { side == .gateway ? .toWorker : .toGateway }
    /// The ring `side` reads from.
    public static func incoming(to side: SegmentSide) -> RingDirection { side == .gateway ? .toGateway : .toWorker }
}
