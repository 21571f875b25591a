import CShims

/// A single-producer/single-consumer ring of length-prefixed records in a `SharedSegment`.
///
/// Positions are 64-bit byte counters that only grow: the producer's `head` and the consumer's
/// `tail`, each on its own cache line. A record is an 8-byte header (a 4-byte length, 4 bytes
/// reserved) and the payload, padded to 8 bytes, so every payload starts 8-byte aligned; it becomes visible only when the producer release-stores its new head after writing the
/// bytes, so a producer killed mid-record leaves nothing the consumer takes for a message. A record
/// that would straddle the end of the ring is preceded by a padding marker and starts at offset 0.
/// A record may take at most half the capacity, which guarantees it always fits once the ring
/// drains, wherever the head is.
///
/// Each process makes its own `ByteRing` for a direction and uses it only as producer or only as
/// consumer. Not `Sendable`: it caches positions.
public final class ByteRing {
    /// Bytes in the ring's data area (a power of two).
    public let capacity: Int
    /// The largest payload `tryWrite` accepts.
    public let maximumRecordLength: Int

    let monitor: PeerMonitor
    var doorbell: Doorbell
    private let data: UnsafeMutableRawPointer
    private let head: UnsafeMutablePointer<UInt64>
    private let tail: UnsafeMutablePointer<UInt64>
    private let mask: UInt64
    private static let padding = UInt32.max
    private static let headerSize = 8

    /// Producer side: the head it last published, and the consumer's tail as last read.
    private var localHead: UInt64
    private var cachedTail: UInt64
    /// Consumer side: its own tail, and the producer's head as last read.
    private var localTail: UInt64
    private var cachedHead: UInt64

    /// A view of the ring going `direction`, watched by `monitor` while waiting.
    public init(direction: RingDirection, monitor: PeerMonitor) {
        let segment = monitor.segment
        capacity = segment.capacity(direction)
        maximumRecordLength = Self.maximumRecordLength(capacity: capacity)
        self.monitor = monitor
        doorbell = Doorbell(segment: segment, direction: direction)
        data = segment.ringData(direction)
        head = segment.word64(SegmentLayout.headOffset(direction))
        tail = segment.word64(SegmentLayout.tailOffset(direction))
        mask = UInt64(capacity - 1)
        localHead = bg_load_acquire_u64(head)
        cachedTail = bg_load_acquire_u64(tail)
        localTail = bg_load_acquire_u64(tail)
        cachedHead = bg_load_acquire_u64(head)
    }

    /// The largest payload a ring of `capacity` bytes takes: half of it, less a record header.
    public static func maximumRecordLength(capacity: Int) -> Int { capacity / 2 - headerSize }

    /// Polls before a blocking `read` or `write` sleeps on the futex (200 by default); 0 sleeps
    /// at once, which measures the pure sleep/wake path.
    public var spinIterations: Int {
        get { doorbell.spinIterations }
        set { doorbell.spinIterations = max(0, newValue) }
    }

    /// The ring this side of the segment writes into.
    public static func outgoing(_ monitor: PeerMonitor) -> ByteRing {
        ByteRing(direction: .outgoing(from: monitor.segment.side), monitor: monitor)
    }

    /// The ring this side of the segment reads from.
    public static func incoming(_ monitor: PeerMonitor) -> ByteRing {
        ByteRing(direction: .incoming(to: monitor.segment.side), monitor: monitor)
    }

    /// Appends one record if there is room now; `false` when the ring is too full.
    /// Throws `recordTooLarge` for a payload over `maximumRecordLength`.
    public func tryWrite(_ bytes: UnsafeRawBufferPointer) throws(SharedMemoryError) -> Bool {
        guard bytes.count <= maximumRecordLength else {
            throw SharedMemoryError(
                .recordTooLarge, "record of \(bytes.count) bytes; this ring takes at most \(maximumRecordLength)")
        }
        let total = Self.recordSize(bytes.count)
        var position = localHead
        var offset = Int(position & mask)
        let toEnd = UInt64(capacity - offset)
        let needed = total <= toEnd ? total : toEnd + total
        if position + needed - cachedTail > UInt64(capacity) {
            cachedTail = bg_load_acquire_u64(tail)
            if position + needed - cachedTail > UInt64(capacity) { return false }
        }
        if total > toEnd {
            data.storeBytes(of: Self.padding, toByteOffset: offset, as: UInt32.self)
            position += toEnd
            offset = 0
        }
        data.storeBytes(of: UInt32(bytes.count), toByteOffset: offset, as: UInt32.self)
        if let source = bytes.baseAddress, bytes.count > 0 {
            (data + offset + Self.headerSize).copyMemory(from: source, byteCount: bytes.count)
        }
        position += total
        localHead = position
        bg_store_release_u64(head, position)
        doorbell.notify()
        return true
    }

    /// Takes one record if there is one, passing its bytes (8-byte aligned, valid only during the
    /// call) to `body`;
    /// `nil` when the ring is empty. The record is consumed even if `body` throws.
    public func tryRead<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        var position = localTail
        if position == cachedHead {
            cachedHead = bg_load_acquire_u64(head)
            if position == cachedHead { return nil }
        }
        var offset = Int(position & mask)
        var length = data.load(fromByteOffset: offset, as: UInt32.self)
        if length == Self.padding {
            position += UInt64(capacity - offset)
            offset = 0
            guard position < cachedHead else { throw corrupt("padding marker with no record after it") }
            length = data.load(fromByteOffset: 0, as: UInt32.self)
        }
        let total = Self.recordSize(Int(length))
        guard Int(length) <= maximumRecordLength, position + total <= cachedHead else {
            throw corrupt("record length \(length) at position \(position) runs past the published head")
        }
        defer {
            localTail = position + total
            bg_store_release_u64(tail, position + total)
            doorbell.notify()
        }
        return try body(UnsafeRawBufferPointer(start: data + offset + Self.headerSize, count: Int(length)))
    }

    /// Whether a record is waiting (a hint: the answer may change right after).
    public var hasRecord: Bool {
        bg_load_acquire_u64(head) != localTail
    }

    static func recordSize(_ length: Int) -> UInt64 {
        UInt64((headerSize + length + 7) & ~7)
    }

    private func corrupt(_ detail: String) -> SharedMemoryError {
        SharedMemoryError(.corruptRecord, detail)
    }
}
