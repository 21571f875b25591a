import CKernels
import GGUF
import Testing

@testable import InferenceCore

/// The C kernels against the Swift kernels they replace, on random data of odd sizes (skipped on CPUs without
/// AVX2/FMA/F16C, where only the Swift kernels run).
@Suite("Native kernels", .enabled(if: NativeKernels.available))
struct NativeKernelTests {
    /// `rows` × `columns` weights of `type` and `count` activation rows, random from `seed`.
    static func data(type: GGMLType, rows: Int, columns: Int, count: Int, seed: UInt64) throws -> ([UInt8], [Float]) {
        let w = KernelTests.values(rows * columns, seed: seed)
        return (try type.quantize(w), KernelTests.values(count * columns, seed: seed + 1))
    }

    /// Weight rows `range` of `type` against every activation row, by the C kernel and by the Swift kernel.
    static func both(
        type: GGMLType, rows: Int, columns: Int, count: Int, range: Range<Int>, seed: UInt64
    ) throws -> (native: [Float], swift: [Float]) {
        let (bytes, x) = try data(type: type, rows: rows, columns: columns, count: count, seed: seed)
        var native = [Float](repeating: .nan, count: count * rows)
        var swift = native
        bytes.withUnsafeBytes { raw in
            let m = WeightMatrix(type: type, rows: rows, columns: columns, base: raw.baseAddress!)
            let act = ActivationType(weight: type)
            let widened = PreparedActivations(x, count: count, columns: columns, type: act, widenHalves: true)
            let plain = PreparedActivations(x, count: count, columns: columns, type: act, widenHalves: false)
            native.withUnsafeMutableBufferPointer { o in
                switch type {
                case .q8_0: NativeKernels.q8_0(m, rows: range, activations: widened, output: o.baseAddress!)
                case .q4_1: NativeKernels.q4_1(m, rows: range, activations: widened, output: o.baseAddress!)
                default: NativeKernels.f16(m, rows: range, activations: widened, output: o.baseAddress!)
                }
            }
            swift.withUnsafeMutableBufferPointer { o in
                for r in range {
                    for i in 0..<count {
                        o[i * rows + r] =
                            switch type {
                            case .q8_0: DotProducts.q8_0(m.row(r), plain.row(i), columns)
                            case .q4_1: DotProducts.q4_1(m.row(r), plain.row(i), columns)
                            default: DotProducts.f16(m.row(r), plain.row(i), columns)
                            }
                    }
                }
            }
        }
        return (native, swift)
    }

    @Test(
        "Q8_0 tiles equal the Swift kernel bit for bit",
        arguments: [(1, 32, 1), (3, 64, 2), (8, 96, 3), (13, 224, 4), (37, 160, 5), (17, 32, 7), (24, 896, 16)])
    func q8_0(rows: Int, columns: Int, count: Int) throws {
        for range in [0..<rows, (rows / 3)..<rows, 0..<(rows - rows / 2)] {
            let (native, swift) = try Self.both(
                type: .q8_0, rows: rows, columns: columns, count: count, range: range, seed: UInt64(rows * columns))
            for i in 0..<count {
                for r in range {
                    #expect(native[i * rows + r].bitPattern == swift[i * rows + r].bitPattern, "row \(r) input \(i)")
                }
            }
            // Rows outside the range are left alone.
            for i in 0..<count {
                for r in 0..<rows where !range.contains(r) { #expect(native[i * rows + r].isNaN) }
            }
        }
    }

    @Test(
        "Q4_1 rows equal the Swift kernel bit for bit",
        arguments: [(1, 32, 1), (3, 64, 2), (8, 96, 3), (13, 224, 4), (17, 576, 7), (24, 1536, 16)])
    func q4_1(rows: Int, columns: Int, count: Int) throws {
        for range in [0..<rows, (rows / 3)..<rows] {
            let (native, swift) = try Self.both(
                type: .q4_1, rows: rows, columns: columns, count: count, range: range, seed: UInt64(rows + columns))
            for i in 0..<count {
                for r in range {
                    #expect(native[i * rows + r].bitPattern == swift[i * rows + r].bitPattern, "row \(r) input \(i)")
                }
                for r in 0..<rows where !range.contains(r) { #expect(native[i * rows + r].isNaN) }
            }
        }
    }

    @Test(
        "F16 tiles equal the Swift kernel bit for bit, tails included",
        arguments: [
            (1, 7, 1), (3, 32, 2), (5, 33, 3), (16, 100, 4), (17, 896, 7), (33, 64, 16), (9, 72, 5), (14, 40, 6),
        ])
    func f16(rows: Int, columns: Int, count: Int) throws {
        let (native, swift) = try Self.both(
            type: .f16, rows: rows, columns: columns, count: count, range: 0..<rows, seed: UInt64(rows + columns))
        for i in native.indices {
            #expect(native[i].bitPattern == swift[i].bitPattern, "element \(i): \(native[i]) vs \(swift[i])")
        }
    }

    @Test("A pair's result does not depend on the tile it lands in", arguments: [GGMLType.q8_0, .f16])
    func tileInvariance(type: GGMLType) throws {
        let rows = 21
        let columns = 96
        let (bytes, x) = try Self.data(type: type, rows: rows, columns: columns, count: 9, seed: 11)
        let pool = ComputePool(threads: 1)
        defer { pool.shutdown() }
        func run(count: Int, offset: Int, range: Range<Int>) -> [Float] {
            var out = [Float](repeating: 0, count: count * rows)
            bytes.withUnsafeBytes { raw in
                let m = WeightMatrix(type: type, rows: rows, columns: columns, base: raw.baseAddress!)
                x.withUnsafeBufferPointer { input in
                    let prepared = PreparedActivations(
                        input.baseAddress! + offset * columns, count: count, columns: columns,
                        type: ActivationType(weight: type))
                    out.withUnsafeMutableBufferPointer { o in
                        MatrixMultiply.multiplyRows(range, of: m, activations: prepared, output: o.baseAddress!)
                    }
                }
            }
            return out
        }
        let all = run(count: 9, offset: 0, range: 0..<rows)
        for i in 0..<9 {
            let alone = run(count: 1, offset: i, range: 0..<rows)
            let shifted = run(count: 1, offset: i, range: 5..<rows)
            for r in 0..<rows {
                #expect(alone[r].bitPattern == all[i * rows + r].bitPattern)
                if r >= 5 { #expect(shifted[r].bitPattern == all[i * rows + r].bitPattern) }
            }
        }
    }

    @Test(
        "Q8_0 and Q8_1 activation blocks from the C quantizers equal the Swift ones byte for byte, ties and zeros included",
        arguments: [ActivationType.q8_0, .q8_1])
    func quantizeActivations(type: ActivationType) {
        var x = KernelTests.values(32 * 40, seed: 13).map { $0 * 37 }
        // A block of zeros, one scaled by exactly 1 whose values are halves (ties go to even), one with a single value.
        x += [Float](repeating: 0, count: 32)
        x += [127, 2.5, -3.5, 0.5, -0.5, 1.5, -1.5, 126.5] + [Float](repeating: 0.25, count: 24)
        x += [Float](repeating: 0, count: 31) + [-3]
        let blocks = x.count / 32
        var native = [UInt8](repeating: 0xAA, count: blocks * Q8Block.stride)
        var swift = native
        x.withUnsafeBufferPointer { input in
            native.withUnsafeMutableBytes { o in
                if type == .q8_0 {
                    NativeKernels.quantizeQ8_0(input.baseAddress!, into: o.baseAddress!, blocks: blocks)
                } else {
                    NativeKernels.quantizeQ8_1(input.baseAddress!, into: o.baseAddress!, blocks: blocks)
                }
            }
            swift.withUnsafeMutableBytes { o in
                for b in 0..<blocks {
                    let (from, to) = (input.baseAddress! + 32 * b, o.baseAddress! + b * Q8Block.stride)
                    if type == .q8_0 { Q8Block.quantize(from, into: to) } else { Q8Block.quantizeQ8_1(from, into: to) }
                }
            }
        }
        // Q8_0: scale and 32 values; Q8_1: scale, scaled sum and 32 values.
        let used = type == .q8_0 ? 36 : 40
        for b in 0..<blocks {
            let range = (b * Q8Block.stride)..<(b * Q8Block.stride + used)
            #expect(Array(native[range]) == Array(swift[range]), "block \(b)")
        }
    }

    /// Eight lanes as ggml's `vec_dot_f16` reduces them: halves added, then two horizontal adds.
    static func horizontalSum(_ x: [Float]) -> Float {
        let t: [Float] = (0..<4).map { x[$0] + x[$0 + 4] }
        let low: Float = t[0] + t[1]
        let high: Float = t[2] + t[3]
        return low + high
    }

    /// The dot product of `x` and `y` in llamafile's order (`llamafile`) or in ggml's `vec_dot_f16` order, written
    /// out lane by lane (fused multiply-adds are `addingProduct`).
    static func orderedDot(_ x: [Float], _ y: [Float], llamafile: Bool) -> Float {
        if llamafile {
            var lanes = [Float](repeating: 0, count: 8)
            for k in x.indices { lanes[k % 8] = lanes[k % 8].addingProduct(x[k], y[k]) }
            return DotProducts.laneSum(SIMD8(lanes))
        }
        var lanes = [Float](repeating: 0, count: 32)
        let whole = x.count - x.count % 32
        for k in 0..<whole { lanes[k % 32] = lanes[k % 32].addingProduct(x[k], y[k]) }
        let reduced = (0..<8).map { (i: Int) -> Float in
            let first: Float = lanes[i] + lanes[i + 16]
            let second: Float = lanes[i + 8] + lanes[i + 24]
            return first + second
        }
        var sum = Double(horizontalSum(reduced))
        for k in whole..<x.count { sum += Double(x[k] * y[k]) }
        return Float(sum)
    }

    @Test(
        "Attention scores and value sums follow llamafile's and vec_dot_f16's orders bit for bit",
        arguments: [false, true])
    func attentionOrders(llamafile: Bool) {
        let d = 64
        let count = 45
        let queries = 3
        let halves = KernelTests.values(2 * count * d, seed: 31).map { HalfFloat.f16(from: $0) }
        let keys = Array(halves[0..<(count * d)])
        let values = Array(halves[(count * d)...])
        let q = KernelTests.values(queries * d, seed: 32).map { HalfFloat.float(fromF16: HalfFloat.f16(from: $0)) }
        let scale: Float = 0.125
        var scores = [Float](repeating: 0, count: queries * count)
        keys.withUnsafeBufferPointer { k in
            bg_f16_scores(k.baseAddress!, d, count, q, queries, d, scale, &scores, count, llamafile ? 1 : 0)
        }
        for query in 0..<queries {
            for t in 0..<count {
                let key = keys[(t * d)..<(t * d + d)].map { HalfFloat.float(fromF16: $0) }
                let expected =
                    Self.orderedDot(key, Array(q[(query * d)..<(query * d + d)]), llamafile: llamafile) * scale
                #expect(scores[query * count + t].bitPattern == expected.bitPattern, "score \(query), \(t)")
            }
        }
        // Probabilities as the engine passes them (F16-rounded), in blocks of 16 tokens as the cache holds them.
        let p = KernelTests.values(queries * count, seed: 33).map {
            HalfFloat.float(fromF16: HalfFloat.f16(from: abs($0) / 8))
        }
        var lanes = [Float](repeating: 0, count: queries * d * 32)
        var output = [Float](repeating: .nan, count: queries * d)
        values.withUnsafeBufferPointer { v in
            for first in stride(from: 0, to: count, by: 16) {
                p.withUnsafeBufferPointer { w in
                    bg_f16_weighted_lanes(
                        v.baseAddress! + first * d, d, first, min(16, count - first), w.baseAddress! + first, count,
                        queries, d, llamafile ? 1 : 0, &lanes)
                }
            }
        }
        bg_f16_lanes_reduce(lanes, queries, d, llamafile ? 1 : 0, &output)
        for query in 0..<queries {
            for i in 0..<d {
                let column = (0..<count).map { HalfFloat.float(fromF16: values[$0 * d + i]) }
                // llama.cpp's view spans a multiple of 32 cells; the cells past the sequence weigh 0.
                let padded = (count + 31) / 32 * 32
                let weights = Array(p[(query * count)..<(query * count + count)])
                let expected = Self.orderedDot(
                    column + [Float](repeating: 0, count: padded - count),
                    weights + [Float](repeating: 0, count: padded - count), llamafile: llamafile)
                #expect(output[query * d + i].bitPattern == expected.bitPattern, "value sum \(query), \(i)")
            }
        }
    }

    @Test(
        "Grouped attention gives each query head what it gets alone, and agrees with the Swift path",
        arguments: [false, true])
    func groupedAttention(batched: Bool) throws {
        let d = 64
        let groupSize = 7
        let kvHeads = 2
        let length = 37  // over two 16-slot blocks, the last one partial
        let cache = PagedKVCache(layers: 1, kvDimension: kvHeads * d, capacityMiB: 1)
        let sequence = SequenceID(1)
        try cache.reserve(sequence, tokens: length)
        let table = cache.table(of: sequence)
        let kv = KernelTests.values(2 * length * kvHeads * d, seed: 21)
        for t in 0..<length {
            let k = cache.keyRow(block: table[t / cache.blockSize], layer: 0, slot: t % cache.blockSize)
            let v = cache.valueRow(block: table[t / cache.blockSize], layer: 0, slot: t % cache.blockSize)
            for j in 0..<(kvHeads * d) {
                k[j] = HalfFloat.f16(from: kv[2 * (t * kvHeads * d + j)])
                v[j] = HalfFloat.f16(from: kv[2 * (t * kvHeads * d + j) + 1])
            }
        }
        let query = KernelTests.values(groupSize * kvHeads * d, seed: 22).map { $0 * 4 }
        let scale = 1 / Float(d).squareRoot()
        var grouped = [Float](repeating: .nan, count: query.count)
        var alone = grouped
        var swift = grouped
        var scores = [Float](repeating: 0, count: groupSize * length)
        query.withUnsafeBufferPointer { q in
            scores.withUnsafeMutableBufferPointer { s in
                grouped.withUnsafeMutableBufferPointer { o in
                    for kvHead in 0..<kvHeads {
                        Attention.group(
                            kvHead, query: q.baseAddress!, table: table, length: length, layer: 0, cache: cache,
                            headDimension: d, groupSize: groupSize, scale: scale, batched: batched,
                            scores: s.baseAddress!, output: o.baseAddress!)
                    }
                }
                alone.withUnsafeMutableBufferPointer { o in
                    for head in 0..<(groupSize * kvHeads) {
                        Attention.native(
                            q.baseAddress! + head * d, kvHead: head / groupSize, heads: 1, table: table,
                            length: length, layer: 0, cache: cache, headDimension: d, scale: scale,
                            batched: batched, scores: s.baseAddress!, output: o.baseAddress! + head * d)
                    }
                }
                swift.withUnsafeMutableBufferPointer { o in
                    for head in 0..<(groupSize * kvHeads) {
                        Attention.head(
                            head, query: q.baseAddress!, table: table, length: length, layer: 0, cache: cache,
                            headDimension: d, groupSize: groupSize, scale: scale, scores: s.baseAddress!,
                            output: o.baseAddress! + head * d)
                    }
                }
            }
        }
        for i in grouped.indices {
            #expect(grouped[i].bitPattern == alone[i].bitPattern, "element \(i)")
            #expect(abs(grouped[i] - swift[i]) <= 1e-3 * max(1, abs(swift[i])), "element \(i)")
        }
    }

    @Test("Rounding through F16 equals Float16 conversion, specials and subnormals included")
    func roundThroughF16() {
        var x = KernelTests.values(61, seed: 12).map { $0 * 1000 }
        x += [0, -0, 65504, 65520, 70000, -1e-7, 6e-8, 3e-5, .infinity, -.infinity, 1.0009765625, 1.00048828125]
        var y = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { i in
            y.withUnsafeMutableBufferPointer { o in
                NativeKernels.roundThroughF16(i.baseAddress!, into: o.baseAddress!, count: x.count)
            }
        }
        for i in x.indices {
            #expect(y[i].bitPattern == Float(Float16(x[i])).bitPattern, "\(x[i])")
        }
    }
}
