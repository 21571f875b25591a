/// The phases both processes run in this order: round trips (every transport, every size), then
/// one-way streams (every transport, 64 B then 64 KiB). The gateway side drives and times round
/// trips; the peer echoes. In streams the gateway side writes and the peer reads, times from its
/// readiness to its last message, and sends the nanoseconds back over the socket.
enum IPCBenchPhases {
    /// Round-trip latencies in nanoseconds (warm-up excluded), keyed by transport and size.
    typealias Latencies = [IPCTransport: [Int: [UInt64]]]
    /// Reader-side stream durations in nanoseconds, keyed by transport and message size.
    typealias StreamTimes = [IPCTransport: [Int: UInt64]]

    /// The gateway side: times round trips, feeds the streams, collects the peer's stream timings.
    static func drive(_ link: IPCBenchLink, _ settings: IPCBenchSettings) throws -> (Latencies, StreamTimes) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: IPCBenchSettings.largeStreamSize, alignment: 64)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0x5A)
        var latencies: Latencies = [:]
        for transport in IPCTransport.allCases {
            try link.prepare(transport)
            for size in IPCBenchSettings.roundTripSizes {
                let message = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size])
                var samples: [UInt64] = []
                samples.reserveCapacity(settings.iterations)
                for index in 0..<(settings.warmup + settings.iterations) {
                    message.storeBytes(of: UInt64(index), as: UInt64.self)
                    let start = monotonicNanoseconds()
                    try link.send(UnsafeRawBufferPointer(message), over: transport)
                    try link.receive(into: message, over: transport)
                    let end = monotonicNanoseconds()
                    guard message.load(as: UInt64.self) == UInt64(index) else {
                        throw IPCBenchError("echo \(index) came back with the wrong contents")
                    }
                    if index >= settings.warmup { samples.append(end - start) }
                }
                latencies[transport, default: [:]][size] = samples
            }
        }
        var streams: StreamTimes = [:]
        for transport in IPCTransport.allCases {
            try link.prepare(transport)
            for (size, count) in streamShapes(settings) {
                let message = UnsafeRawBufferPointer(rebasing: buffer[0..<size])
                for _ in 0..<count { try link.send(message, over: transport) }
                var report: UInt64 = 0
                try withUnsafeMutableBytes(of: &report) { try link.readFully($0) }
                streams[transport, default: [:]][size] = report
            }
        }
        return (latencies, streams)
    }

    /// The peer side: echoes every round trip, then reads the streams and reports their durations.
    static func serve(_ link: IPCBenchLink, _ settings: IPCBenchSettings) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 64)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        for transport in IPCTransport.allCases {
            try link.prepare(transport)
            for size in IPCBenchSettings.roundTripSizes {
                let message = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size])
                for _ in 0..<(settings.warmup + settings.iterations) {
                    try link.receive(into: message, over: transport)
                    try link.send(UnsafeRawBufferPointer(message), over: transport)
                }
            }
        }
        for transport in IPCTransport.allCases {
            try link.prepare(transport)
            for (size, count) in streamShapes(settings) {
                var elapsed = try consume(link, transport, size: size, count: count, buffer: buffer)
                try withUnsafeBytes(of: &elapsed) { try link.writeFully($0) }
            }
        }
    }

    /// Reads `count` messages of `size` bytes; returns the nanoseconds from being ready for the first
    /// (the writer starts right after reading the previous report, a few microseconds earlier) to
    /// having the last.
    private static func consume(
        _ link: IPCBenchLink, _ transport: IPCTransport, size: Int, count: Int, buffer: UnsafeMutableRawBufferPointer
    ) throws -> UInt64 {
        let start = monotonicNanoseconds()
        if transport == .uds {
            // A stream socket has no message boundaries: read as much as is there and count bytes,
            // so the socket gets its most favourable reading pattern.
            let total = size * count
            var received = 0
            while received < total {
                let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, total - received)])
                received += try link.readSome(chunk)
            }
        } else {
            let message = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size])
            for _ in 0..<count { try link.receive(into: message, over: transport) }
        }
        return max(monotonicNanoseconds() - start, 1)
    }

    /// (message size, message count) of the two streams.
    static func streamShapes(_ settings: IPCBenchSettings) -> [(Int, Int)] {
        [
            (IPCBenchSettings.smallStreamSize, settings.smallStreamMessages),
            (IPCBenchSettings.largeStreamSize, settings.largeStreamMessages),
        ]
    }
}
