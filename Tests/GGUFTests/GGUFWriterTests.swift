import Foundation
import GGUF
import Testing

@Suite("GGUF writer")
struct GGUFWriterTests {
    @Test("Writes every value type, nested arrays and tensors, and reads them back", arguments: [32, 64, 128])
    func roundTrip(alignment: Int) throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("sample.gguf").path
        try SampleFile.writer(alignment: alignment).write(to: path)

        let file = try GGUFFile(path: path)
        #expect(file.version == 3)
        #expect(file.alignment == alignment)
        #expect(file.dataOffset % alignment == 0)
        var expected = SampleFile.metadata
        if alignment != 32 { expected.insert(("general.alignment", .uint32(UInt32(alignment))), at: 0) }
        #expect(file.metadata.entries.map(\.key) == expected.map(\.0))
        for (key, value) in expected { #expect(file.metadata[key] == value, "\(key)") }

        let tensors = try SampleFile.tensors()
        #expect(file.tensors.map(\.name) == tensors.map(\.name))
        for t in tensors {
            let info = try #require(file.tensor(named: t.name))
            #expect(info.type == t.type)
            #expect(info.shape == t.shape)
            #expect(info.offset % alignment == 0)
            #expect(Array(file.bytes(of: info)) == t.bytes)
        }
        let floats = try file.dequantize(try #require(file.tensor(named: "token_embd.weight")))
        #expect(floats == SampleFile.floats(24, index: 0))
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(size % alignment == 0, "the data section is padded to the alignment")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(leftovers == ["sample.gguf"], "no temporary file is left behind")
    }

    @Test("Reports the offsets it will write")
    func tensorInfos() throws {
        let infos = try SampleFile.writer(alignment: 64).tensorInfos
        #expect(infos.first?.offset == 0)
        for (a, b) in zip(infos, infos.dropFirst()) {
            #expect(b.offset % 64 == 0)
            #expect(b.offset >= a.offset + a.byteCount)
            #expect(b.offset < a.offset + a.byteCount + 64)
        }
    }

    @Test("A lazy tensor's producer can encode floats straight into the file")
    func lazyFloats() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("lazy.gguf").path
        let rows = 300
        let rowLength = 4096  // 1.2 M floats: larger than the sink's buffer, row by row
        var writer = GGUFWriter()
        try writer.addTensor(name: "big", type: .q8_0, shape: [rowLength, rows]) { sink in
            var row = [Float](repeating: 0, count: rowLength)
            for r in 0..<rows {
                for i in 0..<rowLength { row[i] = Float((r * 7 + i) % 255) - 127 }
                try sink.write(floats: row, as: .q8_0)
            }
        }
        try writer.write(to: path)
        let file = try GGUFFile(path: path)
        let info = try #require(file.tensor(named: "big"))
        var row = [Float](repeating: 0, count: rowLength)
        try row.withUnsafeMutableBufferPointer { try file.dequantizeRow(123, of: info, into: $0) }
        let expected = (0..<rowLength).map { Float((123 * 7 + $0) % 255) - 127 }
        #expect(row == (try GGMLType.q8_0.dequantize(try GGMLType.q8_0.quantize(expected))))
    }

    @Test("Rejects bad tensors as they are added")
    func rejectsBadTensors() throws {
        var writer = GGUFWriter()
        try writer.addTensor(name: "a", type: .f32, shape: [2], bytes: [UInt8](repeating: 0, count: 8))
        let cases: [(String, GGMLType, [Int], Int)] = [
            (String(repeating: "n", count: 64), .f32, [1], 4),  // name too long
            ("", .f32, [1], 4),  // empty name
            ("a", .f32, [2], 8),  // duplicate
            ("b", .f32, [], 0),  // no dimensions
            ("b", .f32, [1, 1, 1, 1, 1], 4),  // five dimensions
            ("b", .f32, [0], 0),  // empty dimension
            ("b", .f32, [2], 4),  // too few bytes
            ("b", .q8_0, [33], 36),  // row not a whole number of blocks
        ]
        for (name, type, shape, count) in cases {
            let error = #expect(throws: GGUFError.self, "\(name.prefix(8)) \(type) \(shape)") {
                try writer.addTensor(name: name, type: type, shape: shape, bytes: [UInt8](repeating: 0, count: count))
            }
            #expect(error?.code == .badTensorInfo)
        }
        #expect(writer.tensorInfos.count == 1)
        // 63 bytes is fine.
        try writer.addTensor(name: String(repeating: "n", count: 63), type: .f32, shape: [1], bytes: [0, 0, 0, 0])
    }

    @Test("Rejects bad metadata and alignment when writing, naming the file", arguments: [0, 3, 48])
    func rejectsBadAlignment(alignment: Int) throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.gguf").path
        var writer = GGUFWriter()
        writer.set("general.alignment", .uint32(UInt32(alignment)))
        let error = #expect(throws: GGUFError.self) { try writer.write(to: path) }
        #expect(error?.code == .badAlignment)
        #expect(error?.path == path)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("Rejects a mixed array and an alignment that is not a uint32")
    func rejectsBadMetadata() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.gguf").path
        var writer = GGUFWriter()
        writer.set("mixed", .array(elementType: .int32, values: [.int32(1), .uint8(2)]))
        let error = #expect(throws: GGUFError.self) { try writer.write(to: path) }
        #expect(error?.code == .badValueType)
        #expect("\(error!)".contains(path))
        writer.metadata["mixed"] = nil
        writer.set("general.alignment", .uint64(64))
        #expect(throws: GGUFError.self) { try writer.write(to: path) }
    }

    @Test("A producer that writes the wrong number of bytes fails and leaves nothing behind", arguments: [-1, 1])
    func producerSize(delta: Int) throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("short.gguf").path
        try TestSupport.write([1, 2, 3], to: URL(fileURLWithPath: path))  // an older file stays untouched
        var writer = GGUFWriter()
        try writer.addTensor(name: "t", type: .f32, shape: [4]) { sink in
            try sink.write([UInt8](repeating: 7, count: 16 + delta))
        }
        let error = #expect(throws: GGUFError.self) { try writer.write(to: path) }
        #expect(error?.code == .badTensorInfo)
        #expect(error?.path == path)
        #expect(try TestSupport.read(path) == [1, 2, 3])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["short.gguf"])
    }

    @Test("A producer's own error becomes a write failure naming the file")
    func producerThrows() throws {
        struct Boom: Error {}
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("boom.gguf").path
        var writer = GGUFWriter()
        try writer.addTensor(name: "t", type: .f32, shape: [4]) { _ in throw Boom() }
        let error = #expect(throws: GGUFError.self) { try writer.write(to: path) }
        #expect(error?.code == .writeFailed)
        #expect(error?.path == path)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("Cannot write into a missing directory")
    func missingDirectory() {
        let error = #expect(throws: GGUFError.self) { try GGUFWriter().write(to: "/nonexistent-dir/x.gguf") }
        #expect(error?.code == .writeFailed)
        #expect(error?.path == "/nonexistent-dir/x.gguf")
    }
}
