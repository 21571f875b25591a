import CBLAS
import GGUF

/// `output = activations × weightᵀ` for a stored weight matrix: every activation row meets every weight row.
///
/// The weight rows are split between the pool's threads; each weight row is read once and dotted with every
/// prepared activation row, in an order that depends only on the pair and on the length of the prompt chunk the
/// activation row belongs to (`PromptRows`: llama.cpp multiplies long prompt chunks with other kernels), so
/// batching cannot change a result. F32 weights with at least `blasMinimumRows` activation rows go through OpenBLAS
/// `sgemm` instead, one call per thread on its share of the weight rows.
public enum MatrixMultiply {
    /// Computes `output[i * weight.rows + r] = dot(weight row r, input row i)` for `count` input rows of
    /// `weight.columns` floats; the leading rows that `prompt` names in the order llama.cpp gives prompt chunks
    /// (where the weight type has one and the C kernels run).
    public static func multiply(
        _ weight: WeightMatrix, input: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>,
        pool: ComputePool, blasMinimumRows: Int = .max, prompt: PromptRows = .none
    ) {
        if weight.type == .f32 && count >= blasMinimumRows {
            return sgemm(weight, input: input, count: count, output: output, pool: pool)
        }
        let activations = PreparedActivations(
            input, count: count, columns: weight.columns, type: ActivationType(weight: weight.type))
        multiply(weight, activations: activations, output: output, pool: pool, prompt: prompt)
    }

    /// Several weight matrices of one type and width (a layer's query, key and value, or its gate and up) against
    /// the same input: `outputs[k]` gets `multiply(weights[k], input: …)`. On the streaming path the input is
    /// prepared once and the matrices' rows are shared out as one job, so small matrices do not each pay for a
    /// round of the pool; the results are the same as separate calls.
    public static func multiply(
        _ weights: [WeightMatrix], input: UnsafePointer<Float>, count: Int, outputs: [UnsafeMutablePointer<Float>],
        pool: ComputePool, blasMinimumRows: Int = .max, prompt: PromptRows = .none
    ) {
        precondition(weights.count == outputs.count, "one output per weight matrix")
        let first = weights[0]
        let alike = weights.allSatisfy { $0.type == first.type && $0.columns == first.columns }
        guard alike && (count < blasMinimumRows || first.type != .f32) else {
            for (w, o) in zip(weights, outputs) {
                multiply(
                    w, input: input, count: count, output: o, pool: pool, blasMinimumRows: blasMinimumRows,
                    prompt: prompt)
            }
            return
        }
        let activations = PreparedActivations(
            input, count: count, columns: first.columns, type: ActivationType(weight: first.type))
        // Where each matrix starts in the combined row space (rounded up to the Q8_0 kernel's 16-row panels).
        var starts = [0]
        for w in weights { starts.append(starts.last! + (w.rows + 15) / 16 * 16) }
        pool.parallelRanges(
            starts.last!, minimumPerThread: 16, granularity: 16, chunksPerThread: chunksPerThread(count)
        ) { range in
            for k in weights.indices {
                let lower = max(range.lowerBound, starts[k]) - starts[k]
                let upper = min(range.upperBound, starts[k] + weights[k].rows) - starts[k]
                if lower < upper {
                    multiplyRows(
                        lower..<upper, of: weights[k], activations: activations, output: outputs[k],
                        prompt: prompt)
                }
            }
        }
    }

    /// The streaming path on already prepared activations (their type must be `ActivationType(weight: weight.type)`).
    public static func multiply(
        _ weight: WeightMatrix, activations: PreparedActivations, output: UnsafeMutablePointer<Float>,
        pool: ComputePool, prompt: PromptRows = .none
    ) {
        pool.parallelRanges(
            weight.rows, minimumPerThread: 16, granularity: 16, chunksPerThread: chunksPerThread(activations.count)
        ) { range in
            multiplyRows(range, of: weight, activations: activations, output: output, prompt: prompt)
        }
    }

    /// How many ranges of weight rows each thread gets for `count` activation rows. Few activation rows make a
    /// memory-bound pass: two long runs of weight rows per thread keep the prefetchers streaming (decode at batch 1
    /// measured 4% faster than with eight smaller ranges). Many make a compute-bound one, where eight ranges per
    /// thread let a thread that the shared cores slowed down hand its share to the other.
    static func chunksPerThread(_ count: Int) -> Int {
        count >= 32 ? 8 : 2
    }

    /// The streaming loop over weight rows `range`: each row is read once and dotted with every activation row,
    /// the leading rows `prompt` names in llama.cpp's prompt order where the type has one. The Swift kernels (no
    /// AVX2) use `vec_dot`'s order for every row. (`@_optimize(speed)` only matters in optimised builds; debug builds ignore
    /// it.)
    @_optimize(speed)
    static func multiplyRows(
        _ range: Range<Int>, of weight: WeightMatrix, activations: PreparedActivations,
        output: UnsafeMutablePointer<Float>, prompt: PromptRows = .none
    ) {
        let rows = weight.rows
        let n = weight.columns
        let count = activations.count
        /// Every row of `range` against every activation row with one dot-product kernel (inlined, so each
        /// weight type gets its own specialised loop).
        @inline(__always) func eachRow(_ dot: (UnsafeRawPointer, UnsafeRawPointer, Int) -> Float) {
            for r in range {
                for i in 0..<count { output[i * rows + r] = dot(weight.row(r), activations.row(i), n) }
            }
        }
        if NativeKernels.available {
            if weight.type == .q8_0 {
                return NativeKernels.q8_0(weight, rows: range, activations: activations, output: output)
            }
            if weight.type == .q4_1 {
                return NativeKernels.q4_1(weight, rows: range, activations: activations, output: output)
            }
            if weight.type == .f16 && activations.halvesWidened {
                return NativeKernels.f16(weight, rows: range, activations: activations, output: output)
            }
            if weight.type == .bf16 {
                return NativeKernels.bf16(weight, rows: range, activations: activations, output: output)
            }
            if let kernel = NativeKernels.decodedKernel(weight.type) {
                let special = NativeKernels.promptKernel(weight.type, prompt)
                let split = min(special?.rows ?? 0, count)
                if let special, split > 0 {
                    NativeKernels.decoded(
                        special.kernel, weight, rows: range, activations: activations, activationRows: 0..<split,
                        output: output)
                }
                if split < count {
                    NativeKernels.decoded(
                        kernel, weight, rows: range, activations: activations, activationRows: split..<count,
                        output: output)
                }
                return
            }
        }
        switch weight.type {
        case .f32: eachRow(DotProducts.f32)
        case .f16:
            precondition(!activations.halvesWidened, "widened F16 activations need the C kernel")
            eachRow(DotProducts.f16)
        case .bf16: eachRow(DotProducts.bf16)
        case .q8_0: eachRow(DotProducts.q8_0)
        case .q4_0: eachRow(DotProducts.q4_0)
        case .q4_1: eachRow(DotProducts.q4_1)
        case .q5_0: eachRow(DotProducts.q5_0)
        case .q5_1: eachRow(DotProducts.q5_1)
        case .iq4_nl: eachRow(DotProducts.iq4_nl)
        case .q2_K: eachRow(DotProducts.q2_K)
        case .q3_K: eachRow(DotProducts.q3_K)
        case .q4_K: eachRow(DotProducts.q4_K)
        case .q5_K: eachRow(DotProducts.q5_K)
        case .q6_K: eachRow(DotProducts.q6_K)
        case .iq4_xs: eachRow(DotProducts.iq4_xs)
        default: preconditionFailure("no kernel multiplies \(weight.type) weights (WeightMatrix.supportedTypes)")
        }
    }

    /// F32 weights through OpenBLAS: each thread multiplies its share of the weight rows.
    static func sgemm(
        _ weight: WeightMatrix, input: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>,
        pool: ComputePool
    ) {
        let rows = weight.rows
        let k = weight.columns
        let b = weight.base.assumingMemoryBound(to: Float.self)
        pool.parallelRanges(rows, minimumPerThread: 64) { range in
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(range.count), Int32(k), 1, input,
                Int32(k), b + range.lowerBound * k, Int32(k), 0, output + range.lowerBound, Int32(rows))
        }
    }
}
