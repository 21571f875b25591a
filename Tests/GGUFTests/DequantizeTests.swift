import GGUF
import Testing

@Suite("Dequantization")
struct DequantizeTests {
    static let goldenNames = [
        "f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q4_k", "q6_k", "q5_0", "q5_1", "iq4_nl", "q2_k", "q3_k", "q5_k",
        "iq4_xs",
    ]

    @Test("Matches gguf-py bit for bit", arguments: goldenNames)
    func matchesGolden(name: String) throws {
        let golden = try GoldenFile("dequant-\(name).bin")
        let floats = try golden.type.dequantize(golden.bytes)
        #expect(floats.count == golden.floats.count)
        let mismatches = zip(floats, golden.floats).enumerated().filter { $1.0.bitPattern != $1.1.bitPattern }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5).map { ($0.offset, $0.element) })")
    }

    @Test("Writes into a caller's buffer", arguments: goldenNames)
    func intoBuffer(name: String) throws {
        let golden = try GoldenFile("dequant-\(name).bin")
        var out = [Float](repeating: .nan, count: golden.floats.count)
        try golden.bytes.withUnsafeBytes { raw in
            try out.withUnsafeMutableBufferPointer { try golden.type.dequantize(raw, into: $0) }
        }
        #expect(out.map(\.bitPattern) == golden.floats.map(\.bitPattern))
    }

    @Test(
        "Wrong lengths are errors, not crashes",
        arguments: [
            GGMLType.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .iq4_nl, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
            .iq4_xs,
        ])
    func wrongLengths(type: GGMLType) throws {
        let bytes = [UInt8](repeating: 0, count: type.blockBytes * 2)
        let error = #expect(throws: GGUFError.self) { try type.dequantize(Array(bytes.dropLast())) }
        #expect(error?.code == .badTensorInfo)
        var out = [Float](repeating: 0, count: type.blockSize)  // one block's worth for two blocks of bytes
        let error2 = #expect(throws: GGUFError.self) {
            try bytes.withUnsafeBytes { raw in
                try out.withUnsafeMutableBufferPointer { try type.dequantize(raw, into: $0) }
            }
        }
        #expect(error2?.code == .badTensorInfo)
        if type.blockSize > 1 {
            var partial = [Float](repeating: 0, count: type.blockSize + 1)
            #expect(throws: GGUFError.self) {
                try bytes.withUnsafeBytes { raw in
                    try partial.withUnsafeMutableBufferPointer { try type.dequantize(raw, into: $0) }
                }
            }
        }
    }

    @Test("Unsupported types say so")
    func unsupported() {
        let error = #expect(throws: GGUFError.self) {
            try GGMLType.iq2_xxs.dequantize([UInt8](repeating: 0, count: 66))
        }
        #expect(error?.code == .unknownTensorType)
        #expect(!GGMLType.iq2_xxs.canDequantize)
    }
}
