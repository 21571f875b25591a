import Foundation
import GGUF
import Testing

/// The quantizers llama-quantize uses without an importance matrix (Q5_0, Q5_1, the k-quants, IQ4_NL, IQ4_XS):
/// byte-equal to ggml's `ggml_quantize_chunk` on rows that reach every branch (goldens made by
/// `scripts/make-quant-golden.py` from llama.cpp's own library), plus the scale rules their layouts promise.
@Suite("Quantization: k-quants, Q5 and IQ4")
struct QuantizeKQuantsTests {
    @Test(
        "Matches ggml_quantize_chunk byte for byte",
        arguments: ["q5_0", "q5_1", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_nl", "iq4_xs"])
    func matchesGGML(name: String) throws {
        let golden = try GoldenFile("quant-\(name).bin")
        #expect(golden.type.canQuantize)
        let bytes = try golden.type.quantize(golden.floats)
        #expect(bytes.count == golden.bytes.count)
        let blockBytes = golden.type.blockBytes
        let differing = Set(
            zip(bytes, golden.bytes).enumerated().filter { $1.0 != $1.1 }.map { $0.offset / blockBytes })
        #expect(differing.isEmpty, "\(golden.type): blocks \(differing.sorted().prefix(10)) differ")
    }

    /// The f16 at `offset` of `bytes`.
    static func half(_ bytes: [UInt8], _ offset: Int) -> Float {
        HalfFloat.float(fromF16: UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8)
    }

    static func gaussianRow(seed: UInt64, count: Int = 256, scale: Float = 1) -> [Float] {
        var rng = TestRandom(seed: seed)
        return (0..<count).map { _ in
            let u = Float.random(in: Float.ulpOfOne...1, using: &rng)
            let v = Float.random(in: 0..<1, using: &rng)
            return scale * (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
    }

    @Test("Q4_K and Q5_K: the group with the largest scale gets 6-bit scale 63", arguments: [GGMLType.q4_K, .q5_K])
    func sixBitScales(type: GGMLType) throws {
        for seed in 1...8 as ClosedRange<UInt64> {
            let bytes = try type.quantize(Self.gaussianRow(seed: seed, scale: Float(seed)))
            let packed = Array(bytes[4..<16])
            let scales = (0..<8).map { j in j < 4 ? packed[j] & 63 : (packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4)
            }
            #expect(scales.max() == 63, "scales \(scales)")
            #expect(Self.half(bytes, 0) > 0)
        }
    }

    @Test("Q6_K: an all-zero block is all zero bytes; otherwise the largest scale is ±128 or 127")
    func q6Scales() throws {
        #expect(try GGMLType.q6_K.quantize([Float](repeating: 0, count: 256)) == [UInt8](repeating: 0, count: 210))
        for seed in 1...8 as ClosedRange<UInt64> {
            let bytes = try GGMLType.q6_K.quantize(Self.gaussianRow(seed: seed))
            let scales = bytes[192..<208].map { Int(Int8(bitPattern: $0)) }
            #expect(scales.contains(-128) || scales.contains(127), "scales \(scales)")
        }
    }

    @Test("Q5_0 and Q5_1 round trip within one step", arguments: [GGMLType.q5_0, .q5_1])
    func q5RoundTrip(type: GGMLType) throws {
        let values = Self.gaussianRow(seed: 5, count: 32 * 16, scale: 0.1)
        let bytes = try type.quantize(values)
        let size = type.blockBytes
        for block in 0..<16 {
            let b = Array(bytes[(block * size)..<(block * size + size)])
            let d = Self.half(b, 0)
            let m = type == .q5_1 ? Self.half(b, 2) : 0
            let qhOffset = type == .q5_1 ? 4 : 2
            let qh = (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[qhOffset + $1]) << (8 * $1) }
            for j in 0..<32 {
                let nibble = j < 16 ? b[qhOffset + 4 + j] & 0xF : b[qhOffset + 4 + j - 16] >> 4
                let level = Int(nibble) | Int((qh >> j) & 1) << 4
                let value = type == .q5_1 ? d * Float(level) + m : d * Float(level - 16)
                #expect(abs(value - values[block * 32 + j]) <= abs(d) * 1.01 + 1e-6)
            }
        }
    }

    @Test("IQ4_XS: an all-zero super-block stores scale −0 and index 8 (level 1, the smallest magnitude)")
    func iq4Zero() throws {
        let bytes = try GGMLType.iq4_xs.quantize([Float](repeating: 0, count: 256))
        #expect(bytes[0] == 0x00 && bytes[1] == 0x80)
        #expect(bytes[8...].allSatisfy { $0 == 0x88 })
    }
}
