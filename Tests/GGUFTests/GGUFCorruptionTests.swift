import Foundation
import GGUF
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("GGUF reader on corrupted files")
struct GGUFCorruptionTests {
    /// Reads `path`: it either throws `GGUFError` or every tensor lies inside the file. Returns whether it read.
    static func check(path: String, size: Int) -> Bool {
        do {
            let file = try GGUFFile(path: path)
            for info in file.tensors {
                let start = file.dataOffset + info.offset
                #expect(start >= 0 && start + info.byteCount <= size, "\(info.name) lies outside the file")
                #expect(file.bytes(of: info).count == info.byteCount)
                if info.type.canDequantize, info.elementCount <= 4096 {
                    _ = try file.dequantize(info)
                }
            }
            _ = file.metadata.count
            return true
        } catch {
            return false
        }
    }

    /// Applies `iterations` seeded truncations and 1–8 byte flips to `original`; returns how many still read.
    static func corrupt(_ original: [UInt8], iterations: Int, seed: UInt64) throws -> (read: Int, failed: Int) {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("corrupt.gguf").path
        var rng = TestRandom(seed: seed)
        var read = 0
        for _ in 0..<iterations {
            var bytes = original
            if Bool.random(using: &rng) && Int.random(in: 0..<4, using: &rng) == 0 {
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
            } else {
                // Flips cluster in the header, where the structure is; a quarter land anywhere.
                let headerEnd = min(bytes.count, 1024)
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let anywhere = Int.random(in: 0..<4, using: &rng) == 0
                    let i = Int.random(in: 0..<(anywhere ? bytes.count : headerEnd), using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
                    case 1: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                    default: bytes[i] = [0x00, 0xff, 0x7f, 0x80, 0x01][Int.random(in: 0..<5, using: &rng)]
                    }
                }
            }
            try TestSupport.write(bytes, to: URL(fileURLWithPath: path))
            if check(path: path, size: bytes.count) { read += 1 }
        }
        return (read, iterations - read)
    }

    @Test("4,000 corruptions of a file with every feature never crash the reader")
    func sampleFile() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("sample.gguf").path
        try SampleFile.writer().write(to: path)
        let result = try Self.corrupt(try TestSupport.read(path), iterations: 4000, seed: 2024)
        #expect(result.failed > 0 && result.read > 0, "\(result)")
    }

    @Test("Corruptions of the llama-spm vocab never crash the reader", .enabled(if: TestSupport.fixturesPresent))
    func vocabFile() throws {
        let result = try Self.corrupt(
            try TestSupport.read(TestSupport.fixture("llama-spm")), iterations: 150, seed: 7)
        #expect(result.failed > 0, "\(result)")
    }
}
