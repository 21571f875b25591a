import Foundation
import GGUF

/// One golden file made by `scripts/make-dequant-golden.py`.
struct GoldenFile {
    /// The tensor type the data is in.
    let type: GGMLType
    /// Raw block bytes (dequantization files) or the quantizer's output (quantization files).
    let bytes: [UInt8]
    /// The floats gguf-py decoded from `bytes`, or the floats it quantized into `bytes`.
    let floats: [Float]

    /// Loads `name` from `Tests/GGUFTests/Golden/`.
    init(_ name: String) throws {
        let data = [UInt8](try Data(contentsOf: TestSupport.goldenDirectory.appendingPathComponent(name)))
        func u32(_ at: Int) -> UInt32 {
            UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24
        }
        let magic = String(decoding: data[0..<4], as: UTF8.self)
        guard magic == "BGDQ" || magic == "BGQT", u32(4) == 1, let type = GGMLType(rawValue: u32(8)) else {
            throw GoldenError(name: name)
        }
        let first = Int(u32(12))
        let second = Int(u32(16))
        let isDequant = magic == "BGDQ"
        let byteCount = isDequant ? first : second
        let floatCount = isDequant ? second : first
        guard data.count == 20 + byteCount + 4 * floatCount else { throw GoldenError(name: name) }
        let bytesStart = isDequant ? 20 : 20 + 4 * floatCount
        let floatsStart = isDequant ? 20 + byteCount : 20
        self.type = type
        self.bytes = Array(data[bytesStart..<bytesStart + byteCount])
        self.floats = (0..<floatCount).map { Float(bitPattern: u32(floatsStart + 4 * $0)) }
    }
}

/// A golden file that is not in the expected format.
struct GoldenError: Error, CustomStringConvertible {
    let name: String
    var description: String { "malformed golden file \(name)" }
}
