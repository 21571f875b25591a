import Basics
import Glibc

/// A deterministic stream of messages: message `i` has a seeded random length in 1…`maximumLength`;
/// its first (up to) 8 bytes are `i` little-endian, the rest a seeded slice of a random pool. A
/// receiver that regenerates the stream detects any lost, duplicated, reordered, torn or corrupted
/// message with one `memcmp`.
struct MessagePattern {
    let maximumLength: Int
    private var lengths: SplitMix64
    private let pool: [UInt8]
    private(set) var index: UInt64 = 0
    private var scratch: [UInt8]

    init(seed: UInt64, maximumLength: Int = 8192) {
        self.maximumLength = maximumLength
        var poolRandom = SplitMix64(seed: seed ^ 0xA5A5)
        pool = (0..<(2 * maximumLength + 8)).map { _ in UInt8(truncatingIfNeeded: poolRandom.next()) }
        lengths = SplitMix64(seed: seed)
        scratch = [UInt8](repeating: 0, count: maximumLength)
    }

    /// The next message's length and pool offset, advancing the stream.
    private mutating func advance() -> (length: Int, offset: Int, index: UInt64) {
        let r = lengths.next()
        let length = 1 + Int(r % UInt64(maximumLength))
        let offset = Int((r >> 32) % UInt64(maximumLength))
        defer { index += 1 }
        return (length, offset, index)
    }

    /// Builds the next message and passes it to `body`.
    mutating func next<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let (length, offset, index) = advance()
        let pool = self.pool
        return try scratch.withUnsafeMutableBytes { out in
            var tag = index.littleEndian
            withUnsafeBytes(of: &tag) { out.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: min(8, length)) }
            if length > 8 {
                pool.withUnsafeBytes {
                    (out.baseAddress! + 8).copyMemory(from: $0.baseAddress! + offset, byteCount: length - 8)
                }
            }
            return try body(UnsafeRawBufferPointer(rebasing: out[..<length]))
        }
    }

    /// Whether `bytes` is exactly the next message; advances the stream either way.
    mutating func verifyNext(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let (length, offset, index) = advance()
        guard bytes.count == length else { return false }
        var tag = index.littleEndian
        let tagMatches = withUnsafeBytes(of: &tag) { memcmp(bytes.baseAddress!, $0.baseAddress!, min(8, length)) == 0 }
        guard tagMatches else { return false }
        guard length > 8 else { return true }
        return pool.withUnsafeBytes { memcmp(bytes.baseAddress! + 8, $0.baseAddress! + offset, length - 8) == 0 }
    }
}
