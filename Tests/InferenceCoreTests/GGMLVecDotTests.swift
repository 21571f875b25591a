import Foundation
import GGUF
import Testing

@testable import InferenceCore

/// Our Swift references against ggml's own AVX2 `vec_dot` results (llama.cpp's haswell CPU variant, recorded by
/// `scripts/make-vecdot-golden.py`): from the same weight bytes and activation floats, our activation quantizers and
/// dot products must give ggml's floats bit for bit.
@Suite("ggml vec_dot golden results")
struct GGMLVecDotTests {
    /// One recorded file: `rows` weight rows of `columns` values of `type`, `count` activation rows, and ggml's
    /// `results[i * rows + r]`.
    struct Recorded {
        let type: GGMLType
        let columns: Int
        let rows: Int
        let count: Int
        let weights: [UInt8]
        let activations: [Float]
        let results: [Float]

        init(_ name: String) throws {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Golden/vecdot-\(name).bin")
            let data = [UInt8](try Data(contentsOf: url))
            #expect(Array(data[0..<4]) == Array("BGVD".utf8))
            func u32(_ i: Int) -> Int {
                Int(data[i]) | Int(data[i + 1]) << 8 | Int(data[i + 2]) << 16 | Int(data[i + 3]) << 24
            }
            type = try #require(GGMLType(rawValue: UInt32(u32(8))))
            (columns, rows, count) = (u32(12), u32(16), u32(20))
            let weightBytes = try #require(type.byteCount(elements: rows * columns))
            weights = Array(data[24..<(24 + weightBytes)])
            func floats(_ from: Int, _ n: Int) -> [Float] {
                (0..<n).map { Float(bitPattern: UInt32(u32(from + 4 * $0))) }
            }
            activations = floats(24 + weightBytes, count * columns)
            results = floats(24 + weightBytes + 4 * count * columns, count * rows)
            #expect(data.count == 24 + weightBytes + 4 * (count * columns + count * rows))
        }
    }

    @Test(
        "Swift references equal ggml's AVX2 vec_dot bit for bit",
        arguments: ["q4_0", "q5_0", "q5_1", "iq4_nl", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_xs", "bf16"])
    func matchesGGML(name: String) throws {
        let recorded = try Recorded(name)
        let type = recorded.type
        let prepared = PreparedActivations(
            recorded.activations, count: recorded.count, columns: recorded.columns, type: ActivationType(weight: type))
        recorded.weights.withUnsafeBytes { raw in
            let m = WeightMatrix(type: type, rows: recorded.rows, columns: recorded.columns, base: raw.baseAddress!)
            for i in 0..<recorded.count {
                for r in 0..<recorded.rows {
                    let ours =
                        type == .bf16
                        ? DotProducts.bf16(m.row(r), prepared.row(i), recorded.columns)
                        : KQuantKernelTests.swiftDot(type, m.row(r), prepared.row(i), recorded.columns)
                    let theirs = recorded.results[i * recorded.rows + r]
                    #expect(ours.bitPattern == theirs.bitPattern, "\(type) row \(r) input \(i): \(ours) vs \(theirs)")
                }
            }
        }
    }
}
