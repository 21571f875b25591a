import GGUF
import Testing

@Suite("Quantization")
struct QuantizeTests {
    @Test("Matches gguf-py's and ggml's quantizers byte for byte", arguments: ["f16", "bf16", "q8_0", "q4_0", "q4_1"])
    func matchesGolden(name: String) throws {
        let golden = try GoldenFile("quant-\(name).bin")
        let bytes = try golden.type.quantize(golden.floats)
        #expect(bytes.count == golden.bytes.count)
        let mismatches = zip(bytes, golden.bytes).enumerated().filter { $1.0 != $1.1 }.map(\.offset)
        #expect(mismatches.isEmpty, "bytes differ at \(mismatches.prefix(10))")
    }

    static func randomFloats(count: Int, seed: UInt64, scale: Float) -> [Float] {
        var rng = TestRandom(seed: seed)
        return (0..<count).map { _ in Float.random(in: -1...1, using: &rng) * scale }
    }

    /// The largest error of rounding `x` to f16: half an ulp, at least half the smallest subnormal.
    static func f16RoundingError(_ x: Float) -> Float {
        max(abs(x) * 0x1p-11, 0x1p-25)
    }

    @Test("Q8_0 round trip stays within half a step", arguments: [0.001, 0.1, 3.0, 1000.0] as [Float])
    func q8RoundTrip(scale: Float) throws {
        let values = Self.randomFloats(count: 32 * 64, seed: 8, scale: scale)
        let back = try GGMLType.q8_0.dequantize(try GGMLType.q8_0.quantize(values))
        for block in 0..<64 {
            let slice = values[(block * 32)..<(block * 32 + 32)]
            let amax = slice.map(abs).max()!
            // Step d = amax/127 rounded to f16; a value is off by at most half a step plus 127 times the f16
            // rounding error of d (relative 2^-11, or absolute 2^-25 when d is an f16 subnormal).
            let d = amax / 127
            let bound = d * 0.5 + 127 * Self.f16RoundingError(d) * 1.01
            for i in slice.indices { #expect(abs(back[i] - values[i]) <= bound) }
        }
    }

    @Test("Q4_0 round trip stays within one step", arguments: [0.001, 0.1, 3.0, 1000.0] as [Float])
    func q4RoundTrip(scale: Float) throws {
        let values = Self.randomFloats(count: 32 * 64, seed: 4, scale: scale)
        let back = try GGMLType.q4_0.dequantize(try GGMLType.q4_0.quantize(values))
        for block in 0..<64 {
            let slice = values[(block * 32)..<(block * 32 + 32)]
            let amax = slice.map(abs).max()!
            // Step d = amax/8; rounding is to nearest except that +8 clamps to 7, so the error is at most one step
            // plus 8 times the f16 rounding error of d.
            let d = amax / 8
            let bound = d + 8 * Self.f16RoundingError(d) * 1.01
            for i in slice.indices { #expect(abs(back[i] - values[i]) <= bound) }
        }
    }

    @Test("A zero block stays zero", arguments: [GGMLType.q8_0, .q4_0, .f16, .bf16])
    func zeros(type: GGMLType) throws {
        let back = try type.dequantize(try type.quantize([Float](repeating: 0, count: 64)))
        #expect(back.allSatisfy { $0 == 0 })
    }

    @Test("F16 and BF16 are exact on values they can represent")
    func halfExact() throws {
        var rng = TestRandom(seed: 16)
        for _ in 0..<2000 {
            let f16 = UInt16.random(in: 0...UInt16.max, using: &rng)
            if f16 & 0x7c00 != 0x7c00 {
                let value = HalfFloat.float(fromF16: f16)
                #expect(try GGMLType.f16.quantize([value]) == [UInt8(f16 & 0xff), UInt8(f16 >> 8)])
            }
            let bf16 = UInt16.random(in: 0...UInt16.max, using: &rng)
            if bf16 & 0x7f80 != 0x7f80 {
                let value = HalfFloat.float(fromBF16: bf16)
                #expect(HalfFloat.bf16(from: value) == bf16)
                #expect(try GGMLType.bf16.dequantize(try GGMLType.bf16.quantize([value])) == [value])
            }
        }
    }

    @Test("BF16 rounds to nearest even and keeps NaN a NaN")
    func bf16Rounding() {
        #expect(HalfFloat.bf16(from: Float(bitPattern: 0x3f80_8000)) == 0x3f80)  // tie, even stays
        #expect(HalfFloat.bf16(from: Float(bitPattern: 0x3f81_8000)) == 0x3f82)  // tie, odd rounds up
        #expect(HalfFloat.bf16(from: Float(bitPattern: 0x3f80_8001)) == 0x3f81)
        #expect(HalfFloat.bf16(from: .infinity) == 0x7f80)
        #expect(HalfFloat.float(fromBF16: HalfFloat.bf16(from: .nan)).isNaN)
        #expect(HalfFloat.float(fromBF16: HalfFloat.bf16(from: Float(bitPattern: 0x7f80_0001))).isNaN)
    }

    @Test("Wrong lengths are errors, not crashes", arguments: [GGMLType.q8_0, .q4_0])
    func wrongLengths(type: GGMLType) {
        let error = #expect(throws: GGUFError.self) { try type.quantize([Float](repeating: 1, count: 33)) }
        #expect(error?.code == .badTensorInfo)
        var out = [UInt8](repeating: 0, count: type.blockBytes - 1)
        let values = [Float](repeating: 1, count: 32)
        #expect(throws: GGUFError.self) {
            try values.withUnsafeBufferPointer { v in try out.withUnsafeMutableBytes { try type.quantize(v, into: $0) }
            }
        }
    }

    @Test("Unsupported types say so")
    func unsupported() {
        let error = #expect(throws: GGUFError.self) { try GGMLType.iq2_xxs.quantize([Float](repeating: 0, count: 256)) }
        #expect(error?.code == .unknownTensorType)
    }
}
