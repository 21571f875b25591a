/// The k-quants Q2_K...Q6_K, as ggml's `quantize_row_q*_K_ref` (what llama-quantize runs without an importance
/// matrix): 256-value super-blocks of 16- or 32-value groups, each group's scale (and minimum) found by a search
/// and itself quantized against an f16 super-block scale.
extension GGMLType {
    private typealias Search = QuantizeSearch

    /// Q2_K (84 bytes): 16 groups of 16, 2-bit levels with a 4-bit scale and 4-bit minimum each;
    /// layout scales[16], qs[64], d, dmin.
    static func quantizeQ2_K(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer, _ s: QuantizeScratch) {
        let levels = s.levels
        let weights = s.weights
        let scales = s.scales
        let mins = s.mins
        let q4scale: Float = 15
        var maxScale: Float = 0
        var maxMin: Float = 0
        for j in 0..<16 {
            for l in 0..<16 { weights[l] = abs(x[16 * j + l]) }
            let (scale, minimum) = Search.scaleAndMinimum(
                16, 3, x + 16 * j, weights, levels + 16 * j, s.aux, rmin: -0.5, rdelta: 0.1, steps: 15,
                absoluteError: true)
            scales[j] = scale
            mins[j] = minimum
            if scale > maxScale { maxScale = scale }
            if minimum > maxMin { maxMin = minimum }
        }
        let packedScales = s.packed
        packedScales.update(repeating: 0, count: 16)
        if maxScale > 0 {
            let iscale = q4scale / maxScale
            for j in 0..<16 { packedScales[j] = UInt8(truncatingIfNeeded: Search.nearestInt(iscale * scales[j])) }
            Search.storeHalf(maxScale / q4scale, out, 80)
        } else {
            Search.storeHalf(0, out, 80)
        }
        if maxMin > 0 {
            let iscale = q4scale / maxMin
            for j in 0..<16 {
                packedScales[j] |= UInt8(truncatingIfNeeded: Search.nearestInt(iscale * mins[j]) << 4)
            }
            Search.storeHalf(maxMin / q4scale, out, 82)
        } else {
            Search.storeHalf(0, out, 82)
        }
        let d = Search.loadHalf(out, 80)
        let dmin = Search.loadHalf(out, 82)
        for j in 0..<16 {
            let groupScale = d * Float(packedScales[j] & 0xF)
            if groupScale == 0 { continue }
            let groupMin = dmin * Float(packedScales[j] >> 4)
            for i in 0..<16 {
                let l = Search.nearestInt((x[16 * j + i] + groupMin) / groupScale)
                levels[16 * j + i] = UInt8(Search.clamp(l, 0, 3))
            }
        }
        for j in 0..<16 { out.storeBytes(of: packedScales[j], toByteOffset: j, as: UInt8.self) }
        packTwoBit(levels, into: out + 16)
    }

    /// Q3_K (110 bytes): 16 groups of 16, 3-bit levels (2 low bits in qs, the high bit in hmask) with 6-bit
    /// signed scales; layout hmask[32], qs[64], scales[12], d.
    static func quantizeQ3_K(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer, _ s: QuantizeScratch) {
        let levels = s.signedLevels
        let scales = s.scales
        var maxScale: Float = 0
        var amax: Float = 0
        for j in 0..<16 {
            scales[j] = Search.symmetricScaleRefined(16, 4, x + 16 * j, levels + 16 * j)
            let scale = abs(scales[j])
            if scale > amax {
                amax = scale
                maxScale = scales[j]
            }
        }
        let packed = s.packed
        packed.update(repeating: 0, count: 12)
        if maxScale != 0 {
            let iscale = -32 / maxScale
            for j in 0..<16 {
                let rounded = Int8(truncatingIfNeeded: Search.nearestInt(iscale * scales[j]))
                var l = UInt8(max(-32, min(31, rounded)) + 32)
                if j < 8 {
                    packed[j] = l & 0xF
                } else {
                    packed[j - 8] |= (l & 0xF) << 4
                }
                l >>= 4
                packed[j % 4 + 8] |= l << (2 * (j / 4))
            }
            Search.storeHalf(1 / iscale, out, 108)
        } else {
            Search.storeHalf(0, out, 108)
        }
        let d = Search.loadHalf(out, 108)
        for j in 0..<16 {
            let low = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4
            let sc = Int(low | (((packed[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32
            let groupScale = d * Float(sc)
            if groupScale == 0 { continue }
            for i in 0..<16 {
                let l = Search.clamp(Search.nearestInt(x[16 * j + i] / groupScale), -4, 3)
                levels[16 * j + i] = Int8(l + 4)
            }
        }
        let hmask = s.hmask
        hmask.update(repeating: 0, count: 32)
        var m = 0
        var bit: UInt8 = 1
        for j in 0..<256 {
            if levels[j] > 3 {
                hmask[m] |= bit
                levels[j] -= 4
            }
            m += 1
            if m == 32 {
                m = 0
                bit <<= 1
            }
        }
        for j in 0..<32 { out.storeBytes(of: hmask[j], toByteOffset: j, as: UInt8.self) }
        packTwoBit(s.levels, into: out + 32)
        for j in 0..<12 { out.storeBytes(of: packed[j], toByteOffset: 96 + j, as: UInt8.self) }
    }

    /// Q4_K (144 bytes) and Q5_K (176 bytes): 8 groups of 32 with a 6-bit scale and 6-bit minimum each (found by
    /// `scaleAndMinimum` under weights rms + |x|); layout d, dmin, scales[12], then for Q5_K qh[32], then qs[128].
    static func quantizeQ45_K(
        _ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer, bits: Int, _ s: QuantizeScratch
    ) {
        let nmax: Int32 = bits == 4 ? 15 : 31
        let levels = s.levels
        let weights = s.weights
        let scales = s.scales
        let mins = s.mins
        var maxScale: Float = 0
        var maxMin: Float = 0
        for j in 0..<8 {
            var sumX2: Float = 0
            for l in 0..<32 { sumX2 += x[32 * j + l] * x[32 * j + l] }
            let average = (sumX2 / 32).squareRoot()
            for l in 0..<32 { weights[l] = average + abs(x[32 * j + l]) }
            let (scale, minimum) = Search.scaleAndMinimum(
                32, nmax, x + 32 * j, weights, levels + 32 * j, s.aux, rmin: bits == 4 ? -1 : -0.5, rdelta: 0.1,
                steps: bits == 4 ? 20 : 15, absoluteError: false)
            scales[j] = scale
            mins[j] = minimum
            if scale > maxScale { maxScale = scale }
            if minimum > maxMin { maxMin = minimum }
        }
        let inverseScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let inverseMin: Float = maxMin > 0 ? 63 / maxMin : 0
        let packed = s.packed
        packed.update(repeating: 0, count: 12)
        for j in 0..<8 {
            let ls = min(63, UInt8(truncatingIfNeeded: Search.nearestInt(inverseScale * scales[j])))
            let lm = min(63, UInt8(truncatingIfNeeded: Search.nearestInt(inverseMin * mins[j])))
            if j < 4 {
                packed[j] = ls
                packed[j + 4] = lm
            } else {
                packed[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4)
                packed[j - 4] |= (ls >> 4) << 6
                packed[j] |= (lm >> 4) << 6
            }
        }
        Search.storeHalf(maxScale / 63, out, 0)
        Search.storeHalf(maxMin / 63, out, 2)
        let d = Search.loadHalf(out, 0)
        let dmin = Search.loadHalf(out, 2)
        for j in 0..<8 {
            let (sc, m) = scaleAndMinK4(j, packed)
            let groupScale = d * Float(sc)
            if groupScale == 0 { continue }
            let groupMin = dmin * Float(m)
            for i in 0..<32 {
                let l = Search.nearestInt((x[32 * j + i] + groupMin) / groupScale)
                levels[32 * j + i] = UInt8(Search.clamp(l, 0, nmax))
            }
        }
        for j in 0..<12 { out.storeBytes(of: packed[j], toByteOffset: 4 + j, as: UInt8.self) }
        if bits == 4 {
            for chunk in 0..<4 {
                for l in 0..<32 {
                    let byte = levels[64 * chunk + l] | (levels[64 * chunk + l + 32] << 4)
                    out.storeBytes(of: byte, toByteOffset: 16 + 32 * chunk + l, as: UInt8.self)
                }
            }
            return
        }
        let qh = s.hmask
        qh.update(repeating: 0, count: 32)
        var m1: UInt8 = 1
        var m2: UInt8 = 2
        for chunk in 0..<4 {
            for j in 0..<32 {
                var l1 = levels[64 * chunk + j]
                if l1 > 15 {
                    l1 -= 16
                    qh[j] |= m1
                }
                var l2 = levels[64 * chunk + j + 32]
                if l2 > 15 {
                    l2 -= 16
                    qh[j] |= m2
                }
                out.storeBytes(of: l1 | (l2 << 4), toByteOffset: 48 + 32 * chunk + j, as: UInt8.self)
            }
            m1 <<= 2
            m2 <<= 2
        }
        for j in 0..<32 { out.storeBytes(of: qh[j], toByteOffset: 16 + j, as: UInt8.self) }
    }

    /// Q6_K (210 bytes): 16 groups of 16, 6-bit levels with an 8-bit signed scale each; layout ql[128], qh[64],
    /// scales[16], d.
    static func quantizeQ6_K(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer, _ s: QuantizeScratch) {
        let levels = s.signedLevels
        let scales = s.scales
        var maxScale: Float = 0
        var maxAbsScale: Float = 0
        for group in 0..<16 {
            let scale = Search.symmetricScale(16, 32, x + 16 * group, levels + 16 * group)
            scales[group] = scale
            if abs(scale) > maxAbsScale {
                maxAbsScale = abs(scale)
                maxScale = scale
            }
        }
        if maxAbsScale < Search.groupMaxEpsilon {
            for i in 0..<210 { out.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
            return
        }
        let iscale = -128 / maxScale
        Search.storeHalf(1 / iscale, out, 208)
        let packedScales = UnsafeMutableRawPointer(s.packed).assumingMemoryBound(to: Int8.self)
        for group in 0..<16 {
            packedScales[group] = Int8(truncatingIfNeeded: min(127, Search.nearestInt(iscale * scales[group])))
        }
        let d = Search.loadHalf(out, 208)
        for j in 0..<16 {
            let groupScale = d * Float(packedScales[j])
            if groupScale == 0 { continue }
            for i in 0..<16 {
                let l = Search.clamp(Search.nearestInt(x[16 * j + i] / groupScale), -32, 31)
                levels[16 * j + i] = Int8(l + 32)
            }
        }
        let L = s.levels
        for half in 0..<2 {
            let j = 128 * half
            for l in 0..<32 {
                let q1 = L[j + l] & 0xF
                let q2 = L[j + l + 32] & 0xF
                let q3 = L[j + l + 64] & 0xF
                let q4 = L[j + l + 96] & 0xF
                out.storeBytes(of: q1 | (q3 << 4), toByteOffset: 64 * half + l, as: UInt8.self)
                out.storeBytes(of: q2 | (q4 << 4), toByteOffset: 64 * half + l + 32, as: UInt8.self)
                let h =
                    (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4)
                    | ((L[j + l + 96] >> 4) << 6)
                out.storeBytes(of: h, toByteOffset: 128 + 32 * half + l, as: UInt8.self)
            }
        }
        for j in 0..<16 {
            out.storeBytes(of: UInt8(bitPattern: packedScales[j]), toByteOffset: 192 + j, as: UInt8.self)
        }
    }

    /// Packs 256 2-bit levels as ggml's Q2_K/Q3_K do: byte l of each 32-byte half holds elements l, l+32, l+64,
    /// l+96 of its 128.
    private static func packTwoBit(_ levels: UnsafeMutablePointer<UInt8>, into out: UnsafeMutableRawPointer) {
        for half in 0..<2 {
            let j = 128 * half
            for l in 0..<32 {
                let byte =
                    levels[j + l] | (levels[j + l + 32] << 2) | (levels[j + l + 64] << 4) | (levels[j + l + 96] << 6)
                out.storeBytes(of: byte, toByteOffset: 32 * half + l, as: UInt8.self)
            }
        }
    }

    /// ggml's `get_scale_min_k4`: group `j`'s 6-bit scale and minimum from the 12 packed bytes.
    private static func scaleAndMinK4(_ j: Int, _ q: UnsafeMutablePointer<UInt8>) -> (UInt8, UInt8) {
        if j < 4 { return (q[j] & 63, q[j + 4] & 63) }
        return ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
    }
}

/// Working memory of the block quantizers, allocated once per `quantize` call rather than once per block.
struct QuantizeScratch {
    /// 256 levels; `signedLevels` is the same memory seen as `Int8`.
    let levels: UnsafeMutablePointer<UInt8>
    /// The same 256 levels as `Int8`.
    var signedLevels: UnsafeMutablePointer<Int8> { UnsafeMutableRawPointer(levels).assumingMemoryBound(to: Int8.self) }
    /// 32 levels of a trial scale.
    let aux: UnsafeMutablePointer<UInt8>
    /// 16 packed scale bytes.
    let packed: UnsafeMutablePointer<UInt8>
    /// 32 high-bit bytes.
    let hmask: UnsafeMutablePointer<UInt8>
    /// 32 per-value weights.
    let weights: UnsafeMutablePointer<Float>
    /// 16 group scales.
    let scales: UnsafeMutablePointer<Float>
    /// 16 group minimums.
    let mins: UnsafeMutablePointer<Float>

    /// Allocates zeroed scratch memory; `deallocate()` frees it.
    static func allocate() -> QuantizeScratch {
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: 256 + 32 + 16 + 32)
        bytes.initialize(repeating: 0, count: 336)
        let floats = UnsafeMutablePointer<Float>.allocate(capacity: 64)
        floats.initialize(repeating: 0, count: 64)
        return QuantizeScratch(
            levels: bytes, aux: bytes + 256, packed: bytes + 288, hmask: bytes + 304, weights: floats,
            scales: floats + 32, mins: floats + 48)
    }

    /// Frees the memory.
    func deallocate() {
        levels.deallocate()
        weights.deallocate()
    }
}
