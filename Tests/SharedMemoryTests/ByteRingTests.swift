import Testing

@testable import SharedMemory

@Suite("Byte ring within one process")
struct ByteRingTests {
    let segment: SharedSegment
    let monitor: PeerMonitor
    let ring: ByteRing

    init() throws {
        segment = try SharedSegment.create(toWorkerCapacity: 4096, toGatewayCapacity: 4096)
        monitor = PeerMonitor(segment: segment)
        ring = ByteRing(direction: .toWorker, monitor: monitor)
    }

    @Test("Empty ring reads nothing")
    func emptyRing() throws {
        #expect(try ring.tryRead { _ in 1 } == nil)
        #expect(!ring.hasRecord)
    }

    @Test("Records wrap around the end through padding, in order and intact")
    func wrapsAround() throws {
        var writer = MessagePattern(seed: 7, maximumLength: ring.maximumRecordLength)
        var reader = MessagePattern(seed: 7, maximumLength: ring.maximumRecordLength)
        var written = 0
        var read = 0
        while read < 5000 {
            while written < 5000, try writer.peekWrite(ring) { written += 1 }
            while let ok = try ring.tryRead({ reader.verifyNext($0) }) {
                #expect(ok, "message \(read) differs")
                read += 1
            }
        }
        #expect(try ring.tryRead { _ in 1 } == nil)
    }

    @Test("A full ring refuses the write and accepts it after a read")
    func backpressure() throws {
        let record = [UInt8](repeating: 9, count: 1000)  // 1008 bytes with header and padding: 4 fit in 4096
        for _ in 0..<4 { #expect(try record.withUnsafeBytes { try ring.tryWrite($0) }) }
        #expect(try !record.withUnsafeBytes { try ring.tryWrite($0) })
        #expect(try ring.tryRead { $0.count } == 1000)
        #expect(try record.withUnsafeBytes { try ring.tryWrite($0) })
    }

    @Test("A record larger than the ring can hold is refused with recordTooLarge")
    func tooLarge() throws {
        #expect(ring.maximumRecordLength == 2040)
        for size in [2041, 4096, 100_000] {
            let record = [UInt8](repeating: 1, count: size)
            let error = #expect(throws: SharedMemoryError.self) { try record.withUnsafeBytes { try ring.tryWrite($0) } }
            #expect(error?.code == .recordTooLarge)
            let blocking = #expect(throws: SharedMemoryError.self) { try ring.write(record, timeout: .seconds(1)) }
            #expect(blocking?.code == .recordTooLarge)
        }
        try ring.write([UInt8](repeating: 2, count: 2040), timeout: .seconds(1))
        #expect(try ring.read(timeout: .seconds(1)).count == 2040)
    }

    @Test("Payloads start 8-byte aligned")
    func aligned() throws {
        for size in [1, 3, 8, 13, 100] {
            try ring.write([UInt8](repeating: 1, count: size), timeout: .seconds(1))
            #expect(try ring.read(timeout: .seconds(1)) { Int(bitPattern: $0.baseAddress) % 8 } == 0)
        }
    }

    @Test("Bytes written but not published are invisible, as after a writer killed mid-record")
    func unpublishedBytes() throws {
        // What a writer killed between copying and its release store of the head leaves behind.
        let data = segment.ringData(.toWorker)
        data.storeBytes(of: UInt32(100), toByteOffset: 0, as: UInt32.self)
        (data + 8).initializeMemory(as: UInt8.self, repeating: 0xEE, count: 100)
        #expect(try ring.tryRead { _ in 1 } == nil)
        #expect(!ring.hasRecord)
        try ring.write([1, 2, 3], timeout: .seconds(1))
        #expect(try ring.read(timeout: .seconds(1)) == [1, 2, 3])
    }

    @Test("An empty record is a record")
    func emptyRecord() throws {
        try ring.write([], timeout: .seconds(1))
        #expect(try ring.read(timeout: .seconds(1)) == [])
    }
}

extension MessagePattern {
    /// Writes the next message if the ring has room; otherwise leaves the stream where it was.
    mutating func peekWrite(_ ring: ByteRing) throws -> Bool {
        var copy = self
        let ok = try copy.next { try ring.tryWrite($0) }
        if ok { self = copy }
        return ok
    }
}
