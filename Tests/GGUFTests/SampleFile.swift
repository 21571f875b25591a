import GGUF

/// A GGUF file that uses every feature: all 13 value types, nested and empty arrays, tensors of several types
/// (some produced lazily) and a non-default alignment.
enum SampleFile {
    static let metadata: [(String, GGUFValue)] = [
        ("general.architecture", .string("llama")),
        ("general.name", .string("sample ✓ ünïcode")),
        ("test.uint8", .uint8(200)),
        ("test.int8", .int8(-100)),
        ("test.uint16", .uint16(60000)),
        ("test.int16", .int16(-30000)),
        ("test.uint32", .uint32(4_000_000_000)),
        ("test.int32", .int32(-2_000_000_000)),
        ("test.float32", .float32(3.25)),
        ("test.bool.true", .bool(true)),
        ("test.bool.false", .bool(false)),
        ("test.string.empty", .string("")),
        ("test.uint64", .uint64(UInt64.max)),
        ("test.int64", .int64(Int64.min)),
        ("test.float64", .float64(-1.0e300)),
        ("test.array.int32", .array(elementType: .int32, values: [.int32(1), .int32(-2), .int32(3)])),
        ("test.array.strings", .array(elementType: .string, values: [.string("a"), .string(""), .string("ç")])),
        ("test.array.empty", .array(elementType: .float32, values: [])),
        ("test.array.bools", .array(elementType: .bool, values: [.bool(true), .bool(false)])),
        (
            "test.array.nested",
            .array(
                elementType: .array,
                values: [
                    .array(elementType: .uint8, values: [.uint8(1), .uint8(2)]),
                    .array(elementType: .string, values: [.string("x")]),
                    .array(elementType: .array, values: [.array(elementType: .float64, values: [.float64(0.5)])]),
                ])
        ),
    ]

    /// Deterministic floats for tensor `index`.
    static func floats(_ count: Int, index: Int) -> [Float] {
        var rng = TestRandom(seed: UInt64(index) &+ 1)
        return (0..<count).map { _ in Float.random(in: -2...2, using: &rng) }
    }

    /// The expected tensors: name, type, shape and bytes.
    static func tensors() throws -> [(name: String, type: GGMLType, shape: [Int], bytes: [UInt8])] {
        var rng = TestRandom(seed: 99)
        let q4K = (0..<(2 * 144)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return [
            ("token_embd.weight", .f32, [8, 3], try GGMLType.f32.quantize(floats(24, index: 0))),
            ("blk.0.attn_q.weight", .f16, [16, 2], try GGMLType.f16.quantize(floats(32, index: 1))),
            ("blk.0.attn_k.weight", .bf16, [5], try GGMLType.bf16.quantize(floats(5, index: 2))),
            ("blk.0.ffn_up.weight", .q8_0, [64, 2, 1, 1], try GGMLType.q8_0.quantize(floats(128, index: 3))),
            ("blk.0.ffn_down.weight", .q4_0, [32, 3, 2], try GGMLType.q4_0.quantize(floats(192, index: 4))),
            ("blk.0.ffn_gate.weight", .q4_K, [256, 2], q4K),
            ("output_norm.weight", .f32, [1], try GGMLType.f32.quantize([1.5])),
        ]
    }

    /// A writer holding the whole sample; odd-numbered tensors are produced lazily.
    static func writer(alignment: Int = 64) throws -> GGUFWriter {
        var writer = GGUFWriter(alignment: alignment)
        for (key, value) in metadata { writer.set(key, value) }
        for (i, t) in try tensors().enumerated() {
            if i % 2 == 1 {
                let bytes = t.bytes
                try writer.addTensor(name: t.name, type: t.type, shape: t.shape) { sink in
                    // Write in two pieces to exercise the sink's buffering.
                    try sink.write(Array(bytes.prefix(3)))
                    try sink.write(Array(bytes.dropFirst(3)))
                }
            } else {
                try writer.addTensor(name: t.name, type: t.type, shape: t.shape, bytes: t.bytes)
            }
        }
        return writer
    }
}
