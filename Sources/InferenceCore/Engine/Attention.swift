import CKernels
import Foundation
import GGUF

/// Causal grouped-query attention of one query head over a sequence's cached keys and values, computed as
/// llama.cpp's default (non-flash) CPU graph does: the query rounded to F16 and dotted with the F16 keys, scaled,
/// softmax with the sum in `Double`, the probabilities rounded to F16 and dotted with the F16 values.
enum Attention {
    /// Writes the `headDimension` outputs of query head `head` for a token that sees the first `length` cached
    /// tokens of the sequence whose block table is `table`.
    @_optimize(speed)
    static func head(
        _ head: Int, query: UnsafePointer<Float>, table: [Int], length: Int, layer: Int, cache: PagedKVCache,
        headDimension: Int, groupSize: Int, scale: Float, scores: UnsafeMutablePointer<Float>,
        output: UnsafeMutablePointer<Float>
    ) {
        let kvHead = head / groupSize
        let d = headDimension
        let q = query + head * d
        if NativeKernels.available {
            return native(
                q, kvHead: kvHead, table: table, length: length, layer: layer, cache: cache, headDimension: d,
                scale: scale, scores: scores, output: output)
        }
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
        var sum: Double = 0
        for t in 0..<count {
            let e = expf(scores[t] - maximum)
            scores[t] = e
            sum += Double(e)
        }
        return Float(1 / sum)
    }

    /// `head` with the C kernels: the same steps, block by block of the cache (keys and values of one block's
    /// slots are `kvDimension` apart), the scores' dot products in `bg_f16_matmul`'s order.
    @_optimize(speed)
    static func native(
        _ q: UnsafePointer<Float>, kvHead: Int, table: [Int], length: Int, layer: Int, cache: PagedKVCache,
        headDimension d: Int, scale: Float, scores: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        let stride = cache.kvDimension
        let size = cache.blockSize
        withUnsafeTemporaryAllocation(of: Float.self, capacity: d) { rounded in
            NativeKernels.roundThroughF16(q, into: rounded.baseAddress!, count: d)
            var t = 0
            while t < length {
                let slots = min(size, length - t)
                let keys = cache.keyRow(block: table[t / size], layer: layer, slot: 0) + kvHead * d
                bg_f16_dots(keys, stride, slots, rounded.baseAddress!, d, scale, scores + t)
                t += slots
            }
        }
        var maximum = -Float.infinity
        for t in 0..<length { maximum = max(maximum, scores[t]) }
        let inverse = exponentiate(scores, count: length, maximum: maximum)
        for t in 0..<length { scores[t] *= inverse }
        NativeKernels.roundThroughF16(scores, into: scores, count: length)
        for i in 0..<d { output[i] = 0 }
        var t = 0
        while t < length {
            let slots = min(size, length - t)
            let values = cache.valueRow(block: table[t / size], layer: layer, slot: 0) + kvHead * d
            bg_f16_weighted_sum(values, stride, slots, scores + t, d, output)
            t += slots
        }
    }
}
