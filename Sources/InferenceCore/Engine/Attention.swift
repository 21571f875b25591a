import CKernels
import Foundation
import GGUF

/// Causal grouped-query attention of one query head over a sequence's cached keys and values, computed as
/// llama.cpp's default (non-flash) CPU graph does: the query rounded to F16 and dotted with the F16 keys, scaled,
/// softmax with the sum in `Double`, the probabilities rounded to F16 and dotted with the F16 values.
enum Attention {
    /// Writes the outputs of the `groupSize` query heads that share key-value head `kvHead` (`headDimension` each,
    /// at `output + head * headDimension`) for a token that sees the first `length` cached tokens of the sequence
    /// whose block table is `table`. `scores` holds `groupSize * length` floats. Each head's result is the same
    /// as if it were computed alone.
    @_optimize(speed)
    static func group(
        _ kvHead: Int, query: UnsafePointer<Float>, table: [Int], length: Int, layer: Int, cache: PagedKVCache,
        headDimension: Int, groupSize: Int, scale: Float, batched: Bool, scores: UnsafeMutablePointer<Float>,
        output: UnsafeMutablePointer<Float>
    ) {
        let heads = (kvHead * groupSize)..<((kvHead + 1) * groupSize)
        if NativeKernels.available {
            return native(
                query + heads.lowerBound * headDimension, kvHead: kvHead, heads: groupSize, table: table,
                length: length, layer: layer, cache: cache, headDimension: headDimension, scale: scale,
                batched: batched, scores: scores, output: output + heads.lowerBound * headDimension)
        }
        for h in heads {
            head(
                h, query: query, table: table, length: length, layer: layer, cache: cache,
                headDimension: headDimension, groupSize: groupSize, scale: scale, scores: scores,
                output: output + h * headDimension)
        }
    }

    /// The Swift path for one query head `head` (used where the C kernels cannot run).
    @_optimize(speed)
    static func head(
        _ head: Int, query: UnsafePointer<Float>, table: [Int], length: Int, layer: Int, cache: PagedKVCache,
        headDimension: Int, groupSize: Int, scale: Float, scores: UnsafeMutablePointer<Float>,
        output: UnsafeMutablePointer<Float>
    ) {
        let kvHead = head / groupSize
        let d = headDimension
        let q = query + head * d
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: d) { q16 in
            for i in 0..<d { q16[i] = HalfFloat.f16(from: q[i]) }
            let qRaw = UnsafeRawPointer(q16.baseAddress!)
            var maximum = -Float.infinity
            for t in 0..<length {
                let key = cache.keyRow(block: table[t / cache.blockSize], layer: layer, slot: t % cache.blockSize)
                let s = DotProducts.f16(UnsafeRawPointer(key + kvHead * d), qRaw, d) * scale
                scores[t] = s
                maximum = max(maximum, s)
            }
            let inverse = exponentiate(scores, count: length, maximum: maximum)
            for i in 0..<d { output[i] = 0 }
            for t in 0..<length {
                let p = HalfFloat.float(fromF16: HalfFloat.f16(from: scores[t] * inverse))
                let value = cache.valueRow(block: table[t / cache.blockSize], layer: layer, slot: t % cache.blockSize)
                let v = value + kvHead * d
                var i = 0
                while i + 16 <= d {
                    let vv = HalfWidening.f16(UnsafeRawPointer(v + i).loadUnaligned(as: SIMD16<UInt16>.self))
                    var o = UnsafeRawPointer(output + i).loadUnaligned(as: SIMD16<Float>.self)
                    o.addProduct(vv, SIMD16(repeating: p))
                    UnsafeMutableRawPointer(output + i).storeBytes(of: o, as: SIMD16<Float>.self)
                    i += 16
                }
                while i < d {
                    output[i] += p * HalfFloat.float(fromF16: v[i])
                    i += 1
                }
            }
        }
    }

    /// Replaces each of the `count` scores with exp(score − `maximum`) and returns 1 / their sum (summed in
    /// Double): the softmax both attention paths share.
    @inline(__always)
    static func exponentiate(_ scores: UnsafeMutablePointer<Float>, count: Int, maximum: Float) -> Float {
        if NativeKernels.available { return Float(1 / bg_softmax_exp(scores, count, maximum)) }
        var sum: Double = 0
        for t in 0..<count {
            let e = expf(scores[t] - maximum)
            scores[t] = e
            sum += Double(e)
        }
        return Float(1 / sum)
    }

    /// `group` with the C kernels: the same steps as `head` for each of `heads` queries (at `q`, `headDimension`
    /// apart), block by block of the cache (a block's keys and values are `kvDimension` apart), each key and value
    /// read once for all of them. Both products take the order llama.cpp's CPU backend gives them: llamafile's tiles
    /// when the token's sequence runs `batched` (more than one token in the pass; llama.cpp's cache view is padded to
    /// 32 cells, so the token count never stops the tiles), ggml's `vec_dot_f16` otherwise (`bg_f16_scores`,
    /// `bg_f16_weighted_lanes`). Measured on SmolLM2-135M: with these orders, the fused RoPE and ggml's exponential,
    /// 32 greedy tokens of six prompts and their top-20 log-probabilities agree with llama.cpp within 1.2e-6; with
    /// either order wrong, log-probabilities differ by up to 0.6 and three of six prompts leave llama.cpp's path.
    @_optimize(speed)
    static func native(
        _ q: UnsafePointer<Float>, kvHead: Int, heads: Int, table: [Int], length: Int, layer: Int,
        cache: PagedKVCache, headDimension d: Int, scale: Float, batched: Bool, scores: UnsafeMutablePointer<Float>,
        output: UnsafeMutablePointer<Float>
    ) {
        let stride = cache.kvDimension
        let size = cache.blockSize
        withUnsafeTemporaryAllocation(of: Float.self, capacity: heads * d) { rounded in
            NativeKernels.roundThroughF16(q, into: rounded.baseAddress!, count: heads * d)
            var t = 0
            while t < length {
                let slots = min(size, length - t)
                let keys = cache.keyRow(block: table[t / size], layer: layer, slot: 0) + kvHead * d
                bg_f16_scores(
                    keys, stride, slots, rounded.baseAddress!, heads, d, scale, scores + t, length, batched ? 1 : 0)
                t += slots
            }
        }
        for h in 0..<heads {
            let row = scores + h * length
            var maximum = -Float.infinity
            for t in 0..<length { maximum = max(maximum, row[t]) }
            let inverse = exponentiate(row, count: length, maximum: maximum)
            for t in 0..<length { row[t] *= inverse }
            NativeKernels.roundThroughF16(row, into: row, count: length)
        }
        let llamafile: Int32 = batched ? 1 : 0
        withUnsafeTemporaryAllocation(of: Float.self, capacity: heads * d * 32) { lanes in
            lanes.initialize(repeating: 0)
            var t = 0
            while t < length {
                let slots = min(size, length - t)
                let values = cache.valueRow(block: table[t / size], layer: layer, slot: 0) + kvHead * d
                bg_f16_weighted_lanes(
                    values, stride, t, slots, scores + t, length, heads, d, llamafile, lanes.baseAddress!)
                t += slots
            }
            bg_f16_lanes_reduce(lanes.baseAddress!, heads, d, llamafile, output)
        }
    }
}
