import Basics
import Foundation
import GGUF

/// Paths and helpers shared by the GGUF tests.
enum TestSupport {
    /// The package root, found from this file's path.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folder of golden files next to the tests.
    static let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden")

    /// The path of a llama.cpp vocab fixture such as `llama-spm`.
    static func fixture(_ name: String) -> String {
        packageRoot.appendingPathComponent(".cache/fixtures/ggml-vocab-\(name).gguf").path
    }

    /// Whether the vocab fixtures have been fetched (`scripts/fetch-fixtures.sh`).
    static var fixturesPresent: Bool {
        FileManager.default.fileExists(atPath: fixture("llama-spm"))
    }

    /// A fresh empty directory under the system temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("gguf-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `bytes` to `url`.
    static func write(_ bytes: [UInt8], to url: URL) throws {
        try Data(bytes).write(to: url)
    }

    /// The bytes of the file at `path`.
    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// The seeded generator for test data (Basics' SplitMix64).
typealias TestRandom = SplitMix64

/// Little-endian byte building for hand-made (often broken) GGUF files.
struct RawBytes {
    var bytes: [UInt8] = []

    mutating func int<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ s: String) {
        int(UInt64(s.utf8.count))
        bytes.append(contentsOf: Array(s.utf8))
    }

    /// A GGUF v3 header with `kvs` (string values only) and tensor infos `(name, shape, type, offset)`, then
    /// padding to `alignment` and `dataBytes` zero bytes of data.
    static func file(
        version: UInt32 = 3, kvs: [(String, GGUFValue)] = [],
        tensors: [(name: String, shape: [UInt64], type: UInt32, offset: UInt64)] = [],
        alignment: Int = 32, dataBytes: Int = 0
    ) -> [UInt8] {
        var raw = RawBytes()
        raw.int(GGUFFile.magic)
        raw.int(version)
        raw.int(UInt64(tensors.count))
        raw.int(UInt64(kvs.count))
        for (key, value) in kvs {
            raw.string(key)
            raw.int(value.type.rawValue)
            switch value {
            case .string(let s): raw.string(s)
            case .uint32(let v): raw.int(v)
            case .uint64(let v): raw.int(v)
            default: fatalError("RawBytes.file supports string, uint32 and uint64 values")
            }
        }
        for t in tensors {
            raw.string(t.name)
            raw.int(UInt32(t.shape.count))
            for d in t.shape { raw.int(d) }
            raw.int(t.type)
            raw.int(t.offset)
        }
        while raw.bytes.count % alignment != 0 { raw.bytes.append(0) }
        raw.bytes.append(contentsOf: [UInt8](repeating: 0, count: dataBytes))
        return raw.bytes
    }
}
