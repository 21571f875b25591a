/// IQ4_NL and IQ4_XS, as ggml's `quantize_iq4_nl`/`quantize_iq4_xs` do without an importance matrix (weights x²,
/// 7 extra scale trials each way): 4-bit indices into a fixed non-linear table of 16 levels.
extension GGMLType {
    /// The 16 levels IQ4 indices point at (ggml's `kvalues_iq4nl`).
    static let iq4Levels: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

    /// IQ4_NL (18 bytes): one 32-value group with an f16 scale; layout d, qs[16].
    static func quantizeIQ4_NL(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        quantizeIQ4(x, out, superBlock: 32)
    }

    /// IQ4_XS (136 bytes): 8 groups of 32 with 6-bit scales against an f16 super-block scale; layout d,
    /// scales_h (u16), scales_l[4], qs[128].
    static func quantizeIQ4_XS(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        quantizeIQ4(x, out, superBlock: 256)
    }

    /// ggml's `quantize_row_iq4_nl_impl` with `ntry` 7 and no importance weights, for a super-block of 32 or 256.
    private static func quantizeIQ4(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer, superBlock: Int) {
        let ntry = 7
        let groups = superBlock / 32
        var levels = [UInt8](repeating: 0, count: superBlock)
        var scales = [Float](repeating: 0, count: groups)
        var weight = [Float](repeating: 0, count: 32)
        var maxScale: Float = 0
        var amaxScale: Float = 0
        iq4Levels.withUnsafeBufferPointer { table in
            let values = table.baseAddress!
            let first = Float(values[0])
            for ib in 0..<groups {
                let xb = x + 32 * ib
                for j in 0..<32 { weight[j] = xb[j] * xb[j] }
                var amax: Float = 0
                var maxValue: Float = 0
                for j in 0..<32 {
                    let ax = abs(xb[j])
                    if ax > amax {
                        amax = ax
                        maxValue = xb[j]
                    }
                }
                if amax < QuantizeSearch.groupMaxEpsilon {
                    scales[ib] = 0
                    continue
                }
                var d = -maxValue / first
                var id = 1 / d
                var sumqx: Float = 0
                var sumq2: Float = 0
                for j in 0..<32 {
                    let l = QuantizeSearch.nearestIndex(values, 16, id * xb[j])
                    levels[32 * ib + j] = UInt8(l)
                    let q = Float(values[l])
                    let w = weight[j]
                    sumqx += w * q * xb[j]
                    sumq2 += w * q * q
                }
                d = sumq2 > 0 ? sumqx / sumq2 : 0
                var best = d * sumqx
                for trial in -ntry...ntry {
                    id = Float(trial + Int(values[0])) / maxValue
                    sumqx = 0
                    sumq2 = 0
                    for j in 0..<32 {
                        let l = QuantizeSearch.nearestIndex(values, 16, id * xb[j])
                        let q = Float(values[l])
                        let w = weight[j]
                        sumqx += w * q * xb[j]
                        sumq2 += w * q * q
                    }
                    if sumq2 > 0 && sumqx * sumqx > best * sumq2 {
                        d = sumqx / sumq2
                        best = d * sumqx
                    }
                }
                scales[ib] = d
                if abs(d) > amaxScale {
                    amaxScale = abs(d)
                    maxScale = d
                }
            }
            if groups > 1 {
                var scalesLow = [UInt8](repeating: 0, count: 4)
                var scalesHigh: UInt16 = 0
                let d = -maxScale / 32
                QuantizeSearch.storeHalf(d, out, 0)
                let id: Float = d != 0 ? 1 / d : 0
                for ib in 0..<groups {
                    var l = QuantizeSearch.clamp(QuantizeSearch.nearestInt(id * scales[ib]), -32, 31)
                    let dl = d * Float(l)
                    let idl: Float = dl != 0 ? 1 / dl : 0
                    for j in 0..<32 {
                        levels[32 * ib + j] = UInt8(QuantizeSearch.nearestIndex(values, 16, idl * x[32 * ib + j]))
                    }
                    l += 32
                    let low = UInt8(l & 0xf)
                    let high = UInt16(l >> 4)
                    if ib % 2 == 0 { scalesLow[ib / 2] = low } else { scalesLow[ib / 2] |= low << 4 }
                    scalesHigh |= high << (2 * (ib % 8))
                }
                out.storeBytes(of: scalesHigh.littleEndian, toByteOffset: 2, as: UInt16.self)
                for i in 0..<4 { out.storeBytes(of: scalesLow[i], toByteOffset: 4 + i, as: UInt8.self) }
            } else {
                QuantizeSearch.storeHalf(scales[0], out, 0)
                let id: Float = scales[0] != 0 ? 1 / scales[0] : 0
                for j in 0..<superBlock {
                    levels[j] = UInt8(QuantizeSearch.nearestIndex(values, 16, id * x[j]))
                }
            }
        }
        let qsOffset = groups > 1 ? 8 : 2
        for i in 0..<(superBlock / 32) {
            for j in 0..<16 {
                let byte = levels[32 * i + j] | (levels[32 * i + 16 + j] << 4)
                out.storeBytes(of: byte, toByteOffset: qsOffset + 16 * i + j, as: UInt8.self)
            }
        }
    }
}
