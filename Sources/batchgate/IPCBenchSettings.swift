/// What one `bench-ipc` run measures; both processes get the same settings and run the same phases
/// in the same order, so no control messages are needed between phases.
struct IPCBenchSettings: Sendable, Equatable {
    /// Message sizes for the round trips (64 B, 4 KiB, 64 KiB).
    static let roundTripSizes = [64, 4096, 65536]
    /// Message size of the small-message stream.
    static let smallStreamSize = 64
    /// Message size of the large-message stream.
    static let largeStreamSize = 65536

    /// Timed round trips per size and transport.
    var iterations: Int
    /// Untimed round trips before them.
    var warmup: Int
    /// Messages in each 64-byte stream.
    var smallStreamMessages: Int
    /// Messages in each 64 KiB stream.
    var largeStreamMessages: Int
    /// Bytes in each ring (a power of two of at least 256 KiB, so a 64 KiB record fits).
    var ringCapacity: Int

    /// Settings from their parts.
    init(iterations: Int, warmup: Int, smallStreamMessages: Int, largeStreamMessages: Int, ringCapacity: Int) {
        self.iterations = iterations
        self.warmup = warmup
        self.smallStreamMessages = smallStreamMessages
        self.largeStreamMessages = largeStreamMessages
        self.ringCapacity = ringCapacity
    }

    /// Settings from `encoded`; `nil` unless it holds exactly five integers.
    init?(encoded: String) {
        let values = encoded.split(separator: ",").compactMap { Int($0) }
        guard values.count == 5 else { return nil }
        self.init(
            iterations: values[0], warmup: values[1], smallStreamMessages: values[2], largeStreamMessages: values[3],
            ringCapacity: values[4])
    }

    /// The settings as one comma-separated argument for the peer process (the parent command's own
    /// option names would otherwise swallow them).
    var encoded: String {
        [iterations, warmup, smallStreamMessages, largeStreamMessages, ringCapacity].map(String.init)
            .joined(separator: ",")
    }
}

/// The three ways a message travels in the benchmark.
enum IPCTransport: String, CaseIterable, Sendable {
    /// The shared-memory rings, both sides busy-polling `tryRead`/`tryWrite`.
    case shmSpin = "shm_spin"
    /// The shared-memory rings with blocking `read`/`write` that sleep on the futex doorbell at once.
    case shmSleep = "shm_sleep"
    /// A Unix domain stream socket pair with blocking `read`/`write`.
    case uds = "uds"

    /// The label in the console table.
    var title: String {
        switch self {
        case .shmSpin: "ring, spinning"
        case .shmSleep: "ring, sleep/wake"
        case .uds: "Unix socket"
        }
    }
}
