import Foundation
import GGUF

extension Engine {
    /// Runs the model over `rows` (their KV blocks already reserved), writes their keys and values into the cache,
    /// and returns the logits (vocab floats each) of the rows listed in `outputRows`. `prompt.rows` and
    /// `prompt.outputs` name the leading rows and output rows of long prompt chunks (`PromptRows`). With later
    /// pipeline stages, their blocks run there (with `releases` passed on first) before the head runs here.
    func forward(
        _ rows: [ForwardRow], outputRows: [Int], prompt: (rows: PromptRows, outputs: PromptRows),
        releases: [SequenceID] = []
    ) throws(EngineError) -> [Float] {
        if laterStages != nil, options.pipelineMicroBatches > 1 {
            return try forwardInMicroBatches(rows, outputRows: outputRows, prompt: prompt, releases: releases)
        }
        let b = ForwardBuffers(rows: rows.count, hyperparameters: weights.hyperparameters)
        embed(rows, into: b)
        runLayers(rows, buffers: b, prompt: prompt.rows)
        if laterStages != nil {
            try runLaterStages(rows, outputRows: outputRows, buffers: b, releases: releases)
        }
        return head(b, outputRows: outputRows, prompt: prompt.outputs)
    }

    /// Writes the token embedding of each of `rows` into the residual stream `b.x`.
    func embed(_ rows: [ForwardRow], into b: ForwardBuffers) {
        let dim = weights.hyperparameters.embeddingLength
        for (i, row) in rows.enumerated() {
            weights.tokenEmbedding.dequantizeRow(
                Int(row.token), into: UnsafeMutableBufferPointer(start: b.x + i * dim, count: dim))
        }
    }

    /// Runs this engine's blocks over the residual stream `b.x` of `rows` (their KV blocks already reserved),
    /// writing their keys and values into the cache.
    func runLayers(_ rows: [ForwardRow], buffers b: ForwardBuffers, prompt: PromptRows) {
        let h = weights.hyperparameters
        let n = rows.count
        let dim = h.embeddingLength
        let qDim = h.queryDimension
        let kvDim = h.kvDimension
        let ff = h.feedForwardLength
        let headDim = h.headDimension
        let blas = options.blasMinimumRows
        let ropeTables = UnsafeMutablePointer<Float>.allocate(capacity: n * headDim)
        defer { ropeTables.deallocate() }
        for (i, row) in rows.enumerated() {
            weights.rope.table(position: row.position, into: ropeTables + i * headDim)
        }
        let neox = h.architecture.usesNeoXRope
        let scale = 1 / Float(headDim).squareRoot()
        let longest = (rows.map(\.position).max() ?? 0) + 1

        // The work between the matrix products also runs on the pool (a row, or a range of elements, per item):
        // a 512-token prompt spends about a tenth of its time there, which one thread alone would double.
        /// Calls `body` for every row `0..<n`, spread over the pool.
        func eachRow(_ body: (Int) -> Void) {
            pool.parallelRanges(n, minimumPerThread: 4) { range in
                for i in range { body(i) }
            }
        }
        /// `x += y` over the `n * dim` residual stream, spread over the pool.
        func addResidual(_ y: UnsafeMutablePointer<Float>) {
            pool.parallelRanges(n * dim, minimumPerThread: 16384) { range in
                for j in range { b.x[j] += y[j] }
            }
        }

        for (l, layer) in weights.layers.enumerated() {
            eachRow { i in
                TransformerMath.rmsNorm(
                    b.x + i * dim, weight: layer.attentionNorm, epsilon: h.rmsNormEpsilon, into: b.normed + i * dim)
            }
            MatrixMultiply.multiply(
                [layer.query, layer.key, layer.value], input: b.normed, count: n,
                outputs: [b.query, b.key, b.value], pool: pool, blasMinimumRows: blas, prompt: prompt)
            eachRow { i in
                if let bias = layer.queryBias { for j in 0..<qDim { b.query[i * qDim + j] += bias[j] } }
                if let bias = layer.keyBias { for j in 0..<kvDim { b.key[i * kvDim + j] += bias[j] } }
                if let bias = layer.valueBias { for j in 0..<kvDim { b.value[i * kvDim + j] += bias[j] } }
                // Qwen3 normalises each query and key head on its own before RoPE, in place.
                if let norm = layer.queryNorm {
                    for head in 0..<h.headCount {
                        let q = b.query + i * qDim + head * headDim
                        TransformerMath.rmsNorm(q, weight: norm, epsilon: h.rmsNormEpsilon, into: q)
                    }
                }
                if let norm = layer.keyNorm {
                    for head in 0..<h.headCountKV {
                        let k = b.key + i * kvDim + head * headDim
                        TransformerMath.rmsNorm(k, weight: norm, epsilon: h.rmsNormEpsilon, into: k)
                    }
                }
                let table = UnsafePointer(ropeTables + i * headDim)
                for head in 0..<h.headCount {
                    TransformerMath.rope(
                        b.query + i * qDim + head * headDim, dimensions: headDim, table: table, neox: neox)
                }
                for head in 0..<h.headCountKV {
                    TransformerMath.rope(
                        b.key + i * kvDim + head * headDim, dimensions: headDim, table: table, neox: neox)
                }
                // The cache holds F16, as llama.cpp's does; the pass reads the rounded values back.
                let row = rows[i]
                let block = row.table[row.position / kvCache.blockSize]
                let slot = row.position % kvCache.blockSize
                let k = kvCache.keyRow(block: block, layer: l, slot: slot)
                let v = kvCache.valueRow(block: block, layer: l, slot: slot)
                for j in 0..<kvDim {
                    k[j] = HalfFloat.f16(from: b.key[i * kvDim + j])
                    v[j] = HalfFloat.f16(from: b.value[i * kvDim + j])
                }
            }
            let groupSize = h.headCount / h.headCountKV
            let cache = kvCache
            pool.parallelRanges(n * h.headCountKV) { range in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: groupSize * longest) { scores in
                    for item in range {
                        let i = item / h.headCountKV
                        Attention.group(
                            item % h.headCountKV, query: b.query + i * qDim, table: rows[i].table,
                            length: rows[i].position + 1, layer: l, cache: cache, headDimension: headDim,
                            groupSize: groupSize, scale: scale, batched: rows[i].batched, scores: scores.baseAddress!,
                            output: b.attention + i * qDim)
                    }
                }
            }
            MatrixMultiply.multiply(
                layer.attentionOutput, input: b.attention, count: n, output: b.projected, pool: pool,
                blasMinimumRows: blas, prompt: prompt)
            addResidual(b.projected)

            eachRow { i in
                TransformerMath.rmsNorm(
                    b.x + i * dim, weight: layer.feedForwardNorm, epsilon: h.rmsNormEpsilon, into: b.normed + i * dim)
            }
            MatrixMultiply.multiply(
                [layer.gate, layer.up], input: b.normed, count: n, outputs: [b.gate, b.up], pool: pool,
                blasMinimumRows: blas, prompt: prompt)
            pool.parallelRanges(n * ff, minimumPerThread: 4096) { range in
                TransformerMath.swiGLU(
                    b.gate + range.lowerBound, up: b.up + range.lowerBound, count: range.count)
            }
            MatrixMultiply.multiply(
                layer.down, input: b.gate, count: n, output: b.projected, pool: pool, blasMinimumRows: blas,
                prompt: prompt)
            addResidual(b.projected)
        }
    }

    /// The output norm and head over the rows `outputRows` of the residual stream `b.x`: their logits.
    func head(_ b: ForwardBuffers, outputRows: [Int], prompt: PromptRows) -> [Float] {
        let h = weights.hyperparameters
        let dim = h.embeddingLength
        let blas = options.blasMinimumRows
        let m = outputRows.count
        for (o, i) in outputRows.enumerated() {
            TransformerMath.rmsNorm(
                b.x + i * dim, weight: weights.outputNorm, epsilon: h.rmsNormEpsilon, into: b.normed + o * dim)
        }
        let vocab = weights.vocabularySize
        return [Float](unsafeUninitializedCapacity: m * vocab) { out, initialized in
            MatrixMultiply.multiply(
                weights.output, input: b.normed, count: m, output: out.baseAddress!, pool: pool, blasMinimumRows: blas,
                prompt: prompt)
            initialized = m * vocab
        }
    }
}
