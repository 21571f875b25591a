import Basics
import Glibc
import SharedMemory
import Testing

/// Ring traffic between this process (the gateway side) and a forked child (the worker side) that
/// opens the segment from the inherited descriptor. See `forkChild` for why fork is safe here.
@Suite("Rings between two processes", .serialized)
struct CrossProcessTests {
    /// Ten million messages each way (the ring code and these checkers are optimised even in debug builds, so
    /// this takes well under two minutes); `BATCHGATE_RING_MESSAGES=N` changes the count.
    static let messageCount: Int = {
        guard let text = getenv("BATCHGATE_RING_MESSAGES"), let count = Int(String(cString: text)) else {
            return 10_000_000
        }
        return count
    }()

    /// Creates a segment and warms up every type the child will use, so the child needs no runtime lock.
    func makeSegment() throws -> (SharedSegment, PeerMonitor) {
        let segment = try SharedSegment.create(toWorkerCapacity: 1 << 20, toGatewayCapacity: 1 << 20)
        let monitor = PeerMonitor(segment: segment, stalenessBound: .seconds(10))
        _ = ByteRing.outgoing(monitor)
        _ = SharedMemoryError(.peerDied, "warm-up")
        _ = MessagePattern(seed: 0, maximumLength: 16)
        return (segment, monitor)
    }

    /// In the child: opens the segment as the worker from an inherited descriptor.
    static func openAsWorker(_ segment: SharedSegment) throws -> PeerMonitor {
        let worker = try SharedSegment.open(fileDescriptor: try segment.duplicateDescriptor())
        return PeerMonitor(segment: worker, stalenessBound: .seconds(10))
    }

    /// The child verifies every message it receives and echoes its bytes, zero-copy, into the other
    /// ring; this process writes without blocking and verifies every echo. Both directions carry
    /// the full seeded stream, and a lost, duplicated, reordered or damaged message fails the check.
    @Test("Random-size messages each way arrive complete, in order, exactly once")
    func million() throws {
        let count = Self.messageCount
        let (segment, monitor) = try makeSegment()
        let child = forkChild {
            do {
                let worker = try Self.openAsWorker(segment)
                let incoming = ByteRing.incoming(worker)
                let outgoing = ByteRing.outgoing(worker)
                var expected = MessagePattern(seed: 42)
                for _ in 0..<count {
                    // Zero-copy echo: the received bytes go straight into the other ring.
                    let ok = try incoming.read(timeout: .seconds(10)) { bytes in
                        guard expected.verifyNext(bytes) else { return false }
                        try outgoing.write(bytes, timeout: .seconds(10))
                        return true
                    }
                    if !ok { return 2 }
                }
                return 0
            } catch {
                return 3
            }
        }
        let outgoing = ByteRing.outgoing(monitor)
        let incoming = ByteRing.incoming(monitor)
        var sending = MessagePattern(seed: 42)
        var receiving = MessagePattern(seed: 42)
        var sent = 0
        var received = 0
        var bad = 0
        let start = ContinuousClock.now
        while received < count {
            var progressed = false
            while sent < count, try sending.peekWrite(outgoing) {
                sent += 1
                progressed = true
            }
            while received < count, let ok = try incoming.tryRead({ receiving.verifyNext($0) }) {
                if !ok { bad += 1 }
                received += 1
                progressed = true
            }
            if !progressed && received < count {
                if try !incoming.read(timeout: .seconds(10), { receiving.verifyNext($0) }) { bad += 1 }
                received += 1
            }
        }
        let elapsed = ContinuousClock.now - start
        #expect(bad == 0)
        #expect(try incoming.tryRead { _ in 1 } == nil)
        #expect(reap(child) == 0)
        let seconds = elapsed.inSeconds
        print(
            "ring echo: \(count) messages each way in \(seconds) s, \(Int(Double(count) / seconds)) messages/s each way"
        )
    }

    @Test("A writer killed mid-stream: every complete message, then peerDied within 2 s")
    func writerKilled() throws {
        let (segment, monitor) = try makeSegment()
        let child = forkChild {
            do {
                let worker = try Self.openAsWorker(segment)
                let outgoing = ByteRing.outgoing(worker)
                var pattern = MessagePattern(seed: 9)
                while true { try pattern.next { try outgoing.write($0, timeout: .seconds(20)) } }
            } catch {
                return 3
            }
        }
        let incoming = ByteRing.incoming(monitor)
        var pattern = MessagePattern(seed: 9)
        for _ in 0..<2000 {
            #expect(try incoming.read(timeout: .seconds(10)) { pattern.verifyNext($0) })
        }
        kill(child, SIGKILL)
        let killedAt = ContinuousClock.now
        var afterKill = 0
        var corrupted = 0
        let error = #expect(throws: SharedMemoryError.self) {
            while true {
                if try !incoming.read(timeout: .seconds(10), { pattern.verifyNext($0) }) { corrupted += 1 }
                afterKill += 1
            }
        }
        #expect(corrupted == 0)
        let detection = ContinuousClock.now - killedAt
        #expect(error?.code == .peerDied)
        #expect(detection < .seconds(2), "peerDied after \(detection)")
        #expect(try incoming.tryRead { _ in 1 } == nil)
        #expect(reap(child) == 128 + SIGKILL)
        print("writer killed: \(2000 + afterKill) messages read intact, peerDied \(detection) after SIGKILL")
    }

    @Test("A reader that stops reading: write(timeout: 200 ms) throws timedOut")
    func readerStalls() throws {
        let (segment, monitor) = try makeSegment()
        let child = forkChild {
            do {
                let worker = try Self.openAsWorker(segment)
                while true {  // alive and beating, but never reading
                    worker.beat()
                    usleep(10_000)
                }
            } catch {
                return 3
            }
        }
        defer {
            kill(child, SIGKILL)
            reap(child)
        }
        let outgoing = ByteRing.outgoing(monitor)
        let record = [UInt8](repeating: 5, count: 8000)
        while try record.withUnsafeBytes({ try outgoing.tryWrite($0) }) {}
        let start = ContinuousClock.now
        let error = #expect(throws: SharedMemoryError.self) { try outgoing.write(record, timeout: .milliseconds(200)) }
        let waited = ContinuousClock.now - start
        #expect(error?.code == .timedOut)
        #expect(waited >= .milliseconds(200) && waited < .seconds(1), "waited \(waited)")

        let incoming = ByteRing.incoming(monitor)
        let readError = #expect(throws: SharedMemoryError.self) { try incoming.read(timeout: .milliseconds(100)) }
        #expect(readError?.code == .timedOut)
    }

    @Test("A peer that stops beating counts as dead after the staleness bound")
    func staleHeartbeat() throws {
        let (segment, _) = try makeSegment()
        let monitor = PeerMonitor(segment: segment, stalenessBound: .milliseconds(300))
        let child = forkChild {
            do {
                _ = try Self.openAsWorker(segment)
                while true { usleep(100_000) }  // alive, silent
            } catch {
                return 3
            }
        }
        defer {
            kill(child, SIGKILL)
            reap(child)
        }
        let incoming = ByteRing.incoming(monitor)
        let start = ContinuousClock.now
        let error = #expect(throws: SharedMemoryError.self) { try incoming.read(timeout: .seconds(5)) }
        #expect(error?.code == .peerDied)
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test("Small records round-trip between the processes")
    func pingPong() throws {
        let rounds = 20_000
        let (segment, monitor) = try makeSegment()
        let child = forkChild {
            do {
                let worker = try Self.openAsWorker(segment)
                let incoming = ByteRing.incoming(worker)
                let outgoing = ByteRing.outgoing(worker)
                for _ in 0..<rounds {
                    try incoming.read(timeout: .seconds(10)) { try outgoing.write($0, timeout: .seconds(10)) }
                }
                return 0
            } catch {
                return 3
            }
        }
        let outgoing = ByteRing.outgoing(monitor)
        let incoming = ByteRing.incoming(monitor)
        let start = ContinuousClock.now
        for round in 0..<UInt64(rounds) {
            var value = round
            try withUnsafeBytes(of: &value) { try outgoing.write($0, timeout: .seconds(10)) }
            let echoed = try incoming.read(timeout: .seconds(10)) { $0.load(as: UInt64.self) }
            #expect(echoed == round)
        }
        let elapsed = ContinuousClock.now - start
        #expect(reap(child) == 0)
        print("ping-pong: \(rounds) round trips of 8 B, \(elapsed / rounds) each")
    }
}
