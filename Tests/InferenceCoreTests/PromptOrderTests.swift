import CKernels
import GGUF
import Testing

@testable import InferenceCore

/// The rows of long prompt chunks take llama.cpp's prompt order: its tiled kernels' order for the super-block
/// types (chunks of 8 tokens or more), its llamafile order for IQ4_NL (2 or more); other rows keep `vec_dot`'s.
@Suite("Prompt-chunk order", .enabled(if: NativeKernels.available, "the prompt orders are C kernels (AVX2)"))
struct PromptOrderTests {
    @Test("PromptRows counts the leading rows of chunks of at least 2 and at least 8 tokens")
    func counts() {
        let lengths = Array(repeating: 35, count: 35) + Array(repeating: 8, count: 8) + [3, 3, 3, 1, 1]
        #expect(PromptRows(chunkLengths: lengths) == PromptRows(llamafile: 46, tiled: 43))
        #expect(PromptRows(chunkLengths: [1, 1]) == .none)
        #expect(PromptRows(chunkLengths: [7, 7, 7, 7, 7, 7, 7]) == PromptRows(llamafile: 7, tiled: 0))
    }

    /// Which kernel each type's prompt rows take, and the kernel of its other rows.
    static let kernels: [(GGMLType, prompt: NativeKernels.BlockKernel, tiled: Bool)] = [
        (.q2_K, bg_q2_k_matmul_tiled_reference, true), (.q3_K, bg_q3_k_matmul_tiled_reference, true),
        (.q4_K, bg_q4_k_matmul_tiled_reference, true), (.q5_K, bg_q5_k_matmul_tiled_reference, true),
        (.q6_K, bg_q6_k_matmul_tiled_reference, true), (.iq4_xs, bg_iq4_xs_matmul_tiled_reference, true),
        (.iq4_nl, bg_iq4_nl_matmul_llamafile, false),
    ]

    @Test("MatrixMultiply gives the leading prompt rows the prompt order and the rest vec_dot's, bit for bit")
    func routing() throws {
        let pool = ComputePool(threads: 2)
        defer { pool.shutdown() }
        let rows = 37
        let columns = 512
        let count = 12
        // Rows 0..<10 from chunks of at least 2 tokens, 0..<8 from chunks of at least 8.
        let prompt = PromptRows(llamafile: 10, tiled: 8)
        for (type, promptKernel, tiled) in Self.kernels {
            let special = tiled ? prompt.tiled : prompt.llamafile
            let bytes = KQuantKernelTests.weights(type, rows: rows, columns: columns, seed: 11)
            let x = KQuantKernelTests.activations(count: count, columns: columns, seed: 12)
            let prepared = PreparedActivations(x, count: count, columns: columns, type: ActivationType(weight: type))
            let plain = try #require(NativeKernels.decodedKernel(type))
            var expected = [Float](repeating: .nan, count: count * rows)
            var out = expected
            bytes.withUnsafeBytes { raw in
                let m = WeightMatrix(type: type, rows: rows, columns: columns, base: raw.baseAddress!)
                expected.withUnsafeMutableBufferPointer { e in
                    NativeKernels.decoded(
                        promptKernel, m, rows: 0..<rows, activations: prepared, activationRows: 0..<special,
                        output: e.baseAddress!)
                    NativeKernels.decoded(
                        plain, m, rows: 0..<rows, activations: prepared, activationRows: special..<count,
                        output: e.baseAddress!)
                }
                out.withUnsafeMutableBufferPointer { o in
                    MatrixMultiply.multiply(
                        m, activations: prepared, output: o.baseAddress!, pool: pool, prompt: prompt)
                }
            }
            #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "\(type)")
            // The orders really differ somewhere (else this test could not tell them apart).
            var vecOnly = [Float](repeating: .nan, count: count * rows)
            bytes.withUnsafeBytes { raw in
                let m = WeightMatrix(type: type, rows: rows, columns: columns, base: raw.baseAddress!)
                vecOnly.withUnsafeMutableBufferPointer { o in
                    MatrixMultiply.multiply(m, activations: prepared, output: o.baseAddress!, pool: pool)
                }
            }
            #expect(vecOnly[0..<(special * rows)] != out[0..<(special * rows)], "\(type): the orders differ")
            #expect(vecOnly[(special * rows)...] == out[(special * rows)...], "\(type): later rows keep vec_dot's")
        }
    }

    @Test(
        "Every block kernel gives an activation row the same bits whatever the count of rows in the call",
        arguments: [1, 3, 4, 5, 12])
    func countInvariance(count: Int) throws {
        let rows = 21
        let columns = 512
        let all = 12
        var kernels = Self.kernels.map { ($0.0, $0.prompt, "prompt order") }
        for type in KQuantKernelTests.types {
            kernels.append((type, try #require(NativeKernels.decodedKernel(type)), "vec_dot order"))
        }
        for (type, kernel, name) in kernels {
            let bytes = KQuantKernelTests.weights(type, rows: rows, columns: columns, seed: 21)
            let x = KQuantKernelTests.activations(count: all, columns: columns, seed: 22)
            let prepared = PreparedActivations(x, count: all, columns: columns, type: ActivationType(weight: type))
            var whole = [Float](repeating: .nan, count: all * rows)
            var part = whole
            bytes.withUnsafeBytes { raw in
                let m = WeightMatrix(type: type, rows: rows, columns: columns, base: raw.baseAddress!)
                whole.withUnsafeMutableBufferPointer { o in
                    NativeKernels.decoded(kernel, m, rows: 0..<rows, activations: prepared, output: o.baseAddress!)
                }
                part.withUnsafeMutableBufferPointer { o in
                    NativeKernels.decoded(
                        kernel, m, rows: 0..<rows, activations: prepared, activationRows: 0..<count,
                        output: o.baseAddress!)
                }
            }
            #expect(
                part[0..<(count * rows)].map(\.bitPattern) == whole[0..<(count * rows)].map(\.bitPattern),
                "\(type) \(name), \(count) rows")
        }
    }
}
