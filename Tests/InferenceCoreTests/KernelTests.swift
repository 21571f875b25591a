import Foundation
import GGUF
import Testing

@testable import InferenceCore

@Suite("Kernels")
struct KernelTests {
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var g = GaussianGenerator(seed: seed)
        return (0..<count).map { _ in g.next() }
    }

    @Test("SIMD F16 widening is exact for every bit pattern")
    func widening() {
        for base in stride(from: 0, to: 65536, by: 16) {
            let h = SIMD16<UInt16>((0..<16).map { UInt16(base + $0) })
            let w = HalfWidening.f16(h)
            for i in 0..<16 {
                let expected = HalfFloat.float(fromF16: h[i])
                #expect(w[i].bitPattern == expected.bitPattern || (w[i].isNaN && expected.isNaN))
            }
        }
    }

    @Test("Activation Q8_0 blocks: scale rounded to F16, values 127·x/amax rounded half to even")
    func q8Activations() {
        var x = Self.values(32, seed: 3)
        x[5] = 2.5
        let prepared = PreparedActivations(x, count: 1, columns: 32, type: .q8_0)
        let d = prepared.row(0).load(as: Float.self)
        let amax = x.map(abs).max()!
        #expect(d == HalfFloat.float(fromF16: HalfFloat.f16(from: amax / 127)))
        let q = (prepared.row(0) + 4).assumingMemoryBound(to: Int8.self)
        for j in 0..<32 { #expect(Float(q[j]) == (x[j] * (127 / amax)).rounded(.toNearestOrEven)) }
    }

    @Test("Activation Q8_1 blocks: Q8_0's scale and values, and s = F16(unrounded scale × the values' sum)")
    func q8_1Activations() {
        var x = Self.values(64, seed: 4)
        x[7] = -2.5
        let prepared = PreparedActivations(x, count: 1, columns: 64, type: .q8_1, widenHalves: false)
        for b in 0..<2 {
            let block = prepared.row(0) + b * Q8Block.stride
            let slice = Array(x[(32 * b)..<(32 * b + 32)])
            let amax = slice.map(abs).max()!
            #expect(block.load(as: Float.self) == HalfFloat.float(fromF16: HalfFloat.f16(from: amax / 127)))
            let q = (block + 8).assumingMemoryBound(to: Int8.self)
            var sum: Float = 0
            for j in 0..<32 {
                #expect(Float(q[j]) == (slice[j] * (127 / amax)).rounded(.toNearestOrEven))
                sum += Float(q[j])
            }
            let s = block.load(fromByteOffset: 4, as: Float.self)
            #expect(s == HalfFloat.float(fromF16: HalfFloat.f16(from: amax / 127 * sum)))
        }
    }

    @Test(
        "Each weight type's matrix product matches a dequantize-then-dot reference",
        arguments: [GGMLType.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1])
    func matrixProduct(type: GGMLType) throws {
        let rows = 24
        let columns = 96
        let count = 3
        let w = Self.values(rows * columns, seed: 1)
        let bytes = try type.quantize(w)
        let x = Self.values(count * columns, seed: 2)
        let pool = ComputePool(threads: 2)
        defer { pool.shutdown() }
        var out = [Float](repeating: 0, count: count * rows)
        bytes.withUnsafeBytes { raw in
            let m = WeightMatrix(type: type, rows: rows, columns: columns, base: raw.baseAddress!)
            x.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { o in
                    MatrixMultiply.multiply(
                        m, input: input.baseAddress!, count: count, output: o.baseAddress!, pool: pool)
                }
            }
        }
        // Reference: dequantized weights times activations converted as ggml converts them.
        let wd = try type.dequantize(bytes)
        let act = ActivationType(weight: type)
        let xd: [Float] =
            switch act {
            case .f32: x
            case .f16: x.map { HalfFloat.float(fromF16: HalfFloat.f16(from: $0)) }
            case .bf16: x.map { HalfFloat.float(fromBF16: HalfFloat.bf16(from: $0)) }
            case .q8_0, .q8_1: try GGMLType.q8_0.dequantize(try GGMLType.q8_0.quantize(x))
            case .q8_K:
                {
                    Issue.record("no weight type in this list takes Q8_K activations")
                    return x
                }()
            }
        for i in 0..<count {
            for r in 0..<rows {
                var ref: Double = 0
                for k in 0..<columns { ref += Double(wd[r * columns + k]) * Double(xd[i * columns + k]) }
                // Q8_0 activations: the reference quantizer rounds halves away from zero and uses 1/d; allow that.
                let tolerance = act == .q8_0 || act == .q8_1 ? 0.05 : 1e-4
                #expect(abs(Double(out[i * rows + r]) - ref) < tolerance, "row \(r) input \(i)")
            }
        }
    }

    @Test("A row's result does not depend on the batch it is in", arguments: [GGMLType.f32, .f16, .q8_0])
    func batchInvariance(type: GGMLType) throws {
        let rows = 40
        let columns = 64
        let bytes = try type.quantize(Self.values(rows * columns, seed: 4))
        let x = Self.values(16 * columns, seed: 5)
        let pool = ComputePool(threads: 2)
        defer { pool.shutdown() }
        func run(_ count: Int, offset: Int) -> [Float] {
            var out = [Float](repeating: 0, count: count * rows)
            bytes.withUnsafeBytes { raw in
                let m = WeightMatrix(type: type, rows: rows, columns: columns, base: raw.baseAddress!)
                x.withUnsafeBufferPointer { input in
                    out.withUnsafeMutableBufferPointer { o in
                        MatrixMultiply.multiply(
                            m, input: input.baseAddress! + offset * columns, count: count, output: o.baseAddress!,
                            pool: pool)
                    }
                }
            }
            return out
        }
        let all = run(16, offset: 0)
        for i in [0, 7, 15] {
            #expect(run(1, offset: i) == Array(all[(i * rows)..<((i + 1) * rows)]))
        }
    }

    @Test("OpenBLAS sgemm agrees with the streaming F32 path")
    func sgemm() throws {
        let rows = 70
        let columns = 48
        let count = 40
        let w = Self.values(rows * columns, seed: 6)
        let x = Self.values(count * columns, seed: 7)
        let pool = ComputePool(threads: 2)
        defer { pool.shutdown() }
        var a = [Float](repeating: 0, count: count * rows)
        var b = a
        w.withUnsafeBytes { raw in
            let m = WeightMatrix(type: .f32, rows: rows, columns: columns, base: raw.baseAddress!)
            x.withUnsafeBufferPointer { input in
                a.withUnsafeMutableBufferPointer { o in
                    MatrixMultiply.multiply(
                        m, input: input.baseAddress!, count: count, output: o.baseAddress!, pool: pool)
                }
                b.withUnsafeMutableBufferPointer { o in
                    MatrixMultiply.multiply(
                        m, input: input.baseAddress!, count: count, output: o.baseAddress!, pool: pool,
                        blasMinimumRows: 1)
                }
            }
        }
        for i in a.indices { #expect(abs(a[i] - b[i]) < 1e-4) }
    }

    @Test("RoPE tables follow ggml: theta multiplied pair by pair in Float")
    func ropeTable() {
        var table = [Float](repeating: 0, count: 8)
        table.withUnsafeMutableBufferPointer {
            TransformerMath.ropeTable(position: 3, dimensions: 8, base: 10000, frequencyScale: 1, into: $0.baseAddress!)
        }
        let scale = powf(10000, -2 / Float(8))
        var theta: Float = 3
        for i in 0..<4 {
            #expect(table[2 * i] == cosf(theta))
            #expect(table[2 * i + 1] == sinf(theta))
            theta *= scale
        }
    }
}
