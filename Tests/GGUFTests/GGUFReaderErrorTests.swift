import Foundation
import GGUF
import Testing

@Suite("GGUF reader errors")
struct GGUFReaderErrorTests {
    /// Writes `bytes` to a fresh file, reads it, and returns the error after checking it names the file.
    static func readError(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> GGUFError? {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("broken.gguf").path
        try TestSupport.write(bytes, to: URL(fileURLWithPath: path))
        let error = #expect(throws: GGUFError.self, sourceLocation: sourceLocation) { try GGUFFile(path: path) }
        #expect(error?.path == path, sourceLocation: sourceLocation)
        #expect(error.map { "\($0)".hasPrefix(path + ": ") } == true, sourceLocation: sourceLocation)
        return error
    }

    static let f32Tensor = (name: "t", shape: [UInt64(4)], type: UInt32(0), offset: UInt64(0))

    @Test("A file that is not GGUF")
    func badMagic() throws {
        var bytes = RawBytes.file()
        bytes[3] = UInt8(ascii: "X")
        #expect(try Self.readError(bytes)?.code == .badMagic)
    }

    @Test("Versions other than 2 and 3", arguments: [0, 1, 4, 0xffff_ffff] as [UInt32])
    func badVersion(version: UInt32) throws {
        #expect(try Self.readError(RawBytes.file(version: version))?.code == .unsupportedVersion)
    }

    @Test("A file cut short anywhere in its header")
    func truncated() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("whole.gguf").path
        try SampleFile.writer().write(to: path)
        let whole = try TestSupport.read(path)
        let file = try GGUFFile(path: path)
        // Header cut points: empty file, inside magic, version, counts, the first key, a value, a tensor info.
        let headerEnd = file.dataOffset
        var cuts = [0, 2, 4, 6, 8, 12, 16, 20, 24, 28, 33, 40, 60, 100, 200, headerEnd / 2, headerEnd - 70]
        cuts += stride(from: 300, to: headerEnd - 64, by: 97)
        for cut in Set(cuts) where cut < headerEnd - 64 {
            let error = try Self.readError(Array(whole.prefix(cut)))
            #expect(error?.code == .truncated, "cut at \(cut): \(error.map { "\($0)" } ?? "no error")")
        }
        // Cut in the data section: the tensor that no longer fits is out of bounds.
        let error = try Self.readError(Array(whole.prefix(whole.count - 100)))
        #expect(error?.code == .tensorOutOfBounds)
    }

    @Test("Absurd counts", arguments: [8, 16])
    func absurdCount(countOffset: Int) throws {
        var raw = RawBytes.file(kvs: [("general.name", .string("x"))])
        let big = UInt64(1) << 60
        withUnsafeBytes(of: big.littleEndian) { raw.replaceSubrange(countOffset..<countOffset + 8, with: $0) }
        #expect(try Self.readError(raw)?.code == .absurdCount)
    }

    @Test("An absurd string length")
    func absurdString() throws {
        var raw = RawBytes.file(kvs: [("general.name", .string("x"))])
        // The key's length is at offset 24.
        withUnsafeBytes(of: UInt64.max.littleEndian) { raw.replaceSubrange(24..<32, with: $0) }
        #expect(try Self.readError(raw)?.code == .absurdCount)
    }

    @Test("Five dimensions")
    func fiveDimensions() throws {
        let raw = RawBytes.file(tensors: [(name: "t", shape: [1, 1, 1, 1, 4], type: 0, offset: 0)], dataBytes: 32)
        #expect(try Self.readError(raw)?.code == .badTensorInfo)
    }

    @Test("A 64-byte tensor name")
    func longName() throws {
        let raw = RawBytes.file(
            tensors: [(name: String(repeating: "a", count: 64), shape: [4], type: 0, offset: 0)], dataBytes: 32)
        #expect(try Self.readError(raw)?.code == .badTensorInfo)
    }

    @Test("Unknown tensor type", arguments: [99, 4, 5, 31, 33, 42] as [UInt32])
    func unknownType(type: UInt32) throws {
        let raw = RawBytes.file(tensors: [(name: "t", shape: [32], type: type, offset: 0)], dataBytes: 256)
        #expect(try Self.readError(raw)?.code == .unknownTensorType)
    }

    @Test("A tensor whose data runs past the end", arguments: [32, 64, 1 << 40] as [UInt64])
    func offsetPastEnd(offset: UInt64) throws {
        let raw = RawBytes.file(tensors: [(name: "t", shape: [4], type: 0, offset: offset)], dataBytes: 32)
        #expect(try Self.readError(raw)?.code == .tensorOutOfBounds)
    }

    @Test("A misaligned tensor offset")
    func misaligned() throws {
        let raw = RawBytes.file(tensors: [(name: "t", shape: [4], type: 0, offset: 4)], dataBytes: 64)
        #expect(try Self.readError(raw)?.code == .badTensorInfo)
    }

    @Test("An alignment that is not a power of two", arguments: [0, 3, 48, 100] as [UInt32])
    func badAlignment(alignment: UInt32) throws {
        let raw = RawBytes.file(kvs: [("general.alignment", .uint32(alignment))], tensors: [Self.f32Tensor])
        #expect(try Self.readError(raw)?.code == .badAlignment)
    }

    @Test("A row that is not a whole number of blocks")
    func partialBlock() throws {
        let raw = RawBytes.file(tensors: [(name: "t", shape: [33], type: 8, offset: 0)], dataBytes: 64)
        #expect(try Self.readError(raw)?.code == .badTensorInfo)
    }

    @Test("A missing file")
    func missing() {
        let error = #expect(throws: GGUFError.self) { try GGUFFile(path: "/nonexistent/model.gguf") }
        #expect(error?.code == .cannotOpen)
        #expect(error?.path == "/nonexistent/model.gguf")
    }
}
