import Testing
import WorkerProtocol

/// Seeded random damage to valid encodings: every input decodes to a message or throws
/// `ProtocolError`; a crash or an out-of-bounds read fails the run. A message that still decodes
/// must re-encode to exactly the damaged bytes (the encoding is canonical), so damage never
/// goes unnoticed in a field.
@Suite("Worker protocol decoder under fuzzing")
struct FuzzTests {
    @Test("Mutated encodings decode or throw ProtocolError, never crash", arguments: [11, 12, 13, 14])
    func mutations(seed: UInt64) throws {
        var random = RandomMessages(seed: seed, scale: 4)
        var decoded = 0
        var codes: Set<ProtocolError.Code> = []
        for _ in 0..<25_000 {
            let original = random.message().encoded()
            let mutated = Self.mutate(original, using: &random.generator)
            do {
                let message = try WorkerMessage.decode(mutated)
                decoded += 1
                #expect(message.encoded() == mutated)
            } catch {
                codes.insert(error.code)
            }
        }
        #expect(decoded > 0)
        #expect(codes.count >= 6, "only saw \(codes)")
    }

    @Test("Random garbage after a valid header never crashes the decoder")
    func garbage() {
        var generator = SeededGenerator(seed: 99)
        for index in 0..<20_000 {
            let length = Int.random(in: 0...96, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if index % 2 == 0 {
                let kind = MessageKind.allCases.randomElement(using: &generator)!
                var header: [UInt8] = []
                MessageHeader(kind: kind, bodyLength: UInt32(length)).encode(into: &header)
                bytes = header + bytes
            }
            _ = try? WorkerMessage.decode(bytes)
        }
    }

    /// One of: flip bits, truncate, overwrite a 32-bit word with a huge value, set the header
    /// length, insert or delete a byte, append bytes, or replace everything with garbage.
    static func mutate(_ bytes: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = bytes
        switch Int.random(in: 0..<8, using: &generator) {
        case 0:
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
            }
        case 1:
            bytes.removeLast(Int.random(in: 1...bytes.count, using: &generator))
        case 2:
            guard bytes.count > 20 else { break }
            let huge: [UInt32] = [.max, 0x8000_0000, 0x7FFF_FFFF, 0x0100_0000, UInt32(bytes.count)]
            let value = huge.randomElement(using: &generator)!
            let index = Int.random(in: 16...(bytes.count - 4), using: &generator)
            withUnsafeBytes(of: value.littleEndian) { for offset in 0..<4 { bytes[index + offset] = $0[offset] } }
        case 3:
            let value = [UInt32.max, 0, UInt32.random(in: 0...UInt32.max, using: &generator)]
                .randomElement(using: &generator)!
            withUnsafeBytes(of: value.littleEndian) { for offset in 0..<4 { bytes[8 + offset] = $0[offset] } }
        case 4:
            bytes.insert(.random(in: 0...255, using: &generator), at: .random(in: 0...bytes.count, using: &generator))
        case 5:
            bytes.remove(at: .random(in: 0..<bytes.count, using: &generator))
        case 6:
            bytes += (0..<Int.random(in: 1...8, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
        default:
            let index = Int.random(in: 0..<bytes.count, using: &generator)
            bytes[index] = .random(in: 0...255, using: &generator)
        }
        return bytes
    }
}
