import GGUF
import Testing

@testable import InferenceCore

/// The BF16 C kernel against the Swift reference, and the reference against a double-precision product.
@Suite("BF16 kernel")
struct BF16KernelTests {
    /// `rows` weight rows and `count` activation rows of `columns` BF16 values, random from `seed`.
    static func data(rows: Int, columns: Int, count: Int, seed: UInt64) throws -> ([UInt8], PreparedActivations) {
        let w = try GGMLType.bf16.quantize(KernelTests.values(rows * columns, seed: seed))
        let x = KernelTests.values(count * columns, seed: seed + 1)
        return (w, PreparedActivations(x, count: count, columns: columns, type: .bf16))
    }

    @Test(
        "C kernel equals the Swift reference bit for bit, tails included",
        .enabled(if: NativeKernels.available),
        arguments: [(1, 7, 1), (3, 32, 2), (5, 33, 3), (16, 100, 4), (9, 2048, 5), (4, 95, 7)])
    func nativeMatchesSwift(rows: Int, columns: Int, count: Int) throws {
        let (bytes, prepared) = try Self.data(rows: rows, columns: columns, count: count, seed: UInt64(rows * columns))
        var native = [Float](repeating: .nan, count: count * rows)
        bytes.withUnsafeBytes { raw in
            let m = WeightMatrix(type: .bf16, rows: rows, columns: columns, base: raw.baseAddress!)
            native.withUnsafeMutableBufferPointer {
                NativeKernels.bf16(m, rows: 0..<rows, activations: prepared, output: $0.baseAddress!)
            }
            for i in 0..<count {
                for r in 0..<rows {
                    let swift = DotProducts.bf16(m.row(r), prepared.row(i), columns)
                    #expect(native[i * rows + r].bitPattern == swift.bitPattern, "row \(r) input \(i)")
                }
            }
        }
    }

    @Test("Swift reference is within float rounding of a double product", arguments: [31, 64, 1000])
    func referenceMatchesDouble(columns: Int) throws {
        let (bytes, prepared) = try Self.data(rows: 3, columns: columns, count: 2, seed: 9)
        let w = try GGMLType.bf16.dequantize(bytes)
        bytes.withUnsafeBytes { raw in
            for r in 0..<3 {
                for i in 0..<2 {
                    var ref: Double = 0
                    var magnitude: Double = 0
                    for k in 0..<columns {
                        let a = Double(
                            HalfFloat.float(
                                fromBF16: prepared.row(i).loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self)))
                        ref += Double(w[r * columns + k]) * a
                        magnitude += abs(Double(w[r * columns + k]) * a)
                    }
                    let got = Double(DotProducts.bf16(raw.baseAddress! + r * 2 * columns, prepared.row(i), columns))
                    #expect(abs(got - ref) <= 1e-6 * magnitude, "row \(r) input \(i): \(got) vs \(ref)")
                }
            }
        }
    }
}
