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
            var sum: Double = 0
            for t in 0..<length {
                let e = expf(scores[t] - maximum)
                scores[t] = e
                sum += Double(e)
            }
            let inverse = Float(1 / sum)
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
}
