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
                default: NativeKernels.f16(m, rows: range, activations: widened, output: o.baseAddress!)
                }
            }
            swift.withUnsafeMutableBufferPointer { o in
                for r in range {
                    for i in 0..<count {
                        o[i * rows + r] =
                            type == .q8_0
                            ? DotProducts.q8_0(m.row(r), plain.row(i), columns)
                            : DotProducts.f16(m.row(r), plain.row(i), columns)
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
        "F16 tiles agree with the Swift kernel (float rounding only), tails included",
        arguments: [(1, 7, 1), (3, 32, 2), (5, 33, 3), (16, 100, 4), (17, 896, 7), (33, 64, 16)])
    func f16(rows: Int, columns: Int, count: Int) throws {
        let (native, swift) = try Self.both(
            type: .f16, rows: rows, columns: columns, count: count, range: 0..<rows, seed: UInt64(rows + columns))
        for i in native.indices {
            let tolerance = 1e-5 * max(1, Float(columns).squareRoot())
            #expect(abs(native[i] - swift[i]) <= tolerance, "element \(i): \(native[i]) vs \(swift[i])")
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
