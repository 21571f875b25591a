/// The scale searches ggml's k-quant and IQ4 quantizers share, written so every float operation happens in the
/// order ggml's C does it (no fused multiply-adds, same association), which is what makes our bytes equal theirs.
enum QuantizeSearch {
    /// Smallest largest-magnitude a group needs to get a non-zero scale (ggml's `GROUP_MAX_EPS`).
    static let groupMaxEpsilon: Float = 1e-15

    /// ggml's `nearest_int`: rounds to nearest, ties to even, by adding 1.5·2²³ and reading the mantissa
    /// (valid for |x| ≤ 2²², as ggml assumes).
    @inline(__always)
    static func nearestInt(_ value: Float) -> Int32 {
        let shifted = value + 12_582_912
        return Int32(bitPattern: shifted.bitPattern & 0x007f_ffff) - 0x0040_0000
    }

    /// `x` clamped to `low...high`.
    @inline(__always)
    static func clamp(_ x: Int32, _ low: Int32, _ high: Int32) -> Int32 {
        max(low, min(high, x))
    }

    /// ggml's `make_qx_quants` with `rmse_type` 1 and no importance weights (weights x²): a symmetric scale for
    /// `n` values with levels −nmax...nmax−1, refined over 18 candidate scales; `levels` gets level + nmax.
    static func symmetricScale(
        _ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ levels: UnsafeMutablePointer<Int8>
    ) -> Float {
        var maxValue: Float = 0
        var amax: Float = 0
        for i in 0..<n {
            let ax = abs(x[i])
            if ax > amax {
                amax = ax
                maxValue = x[i]
            }
        }
        if amax < groupMaxEpsilon {
            for i in 0..<n { levels[i] = 0 }
            return 0
        }
        var iscale = Float(-nmax) / maxValue
        var sumlx: Float = 0
        var suml2: Float = 0
        for i in 0..<n {
            let l = clamp(nearestInt(iscale * x[i]), -nmax, nmax - 1)
            levels[i] = Int8(truncatingIfNeeded: l + nmax)
            let w = x[i] * x[i]
            let fl = Float(l)
            sumlx += w * x[i] * fl
            suml2 += w * fl * fl
        }
        var scale: Float = suml2 != 0 ? sumlx / suml2 : 0
        var best = scale * sumlx
        for step in -9...9 where step != 0 {
            iscale = -(Float(nmax) + 0.1 * Float(step)) / maxValue
            sumlx = 0
            suml2 = 0
            for i in 0..<n {
                let fl = Float(clamp(nearestInt(iscale * x[i]), -nmax, nmax - 1))
                let w = x[i] * x[i]
                sumlx += w * x[i] * fl
                suml2 += w * fl * fl
            }
            if suml2 > 0 && sumlx * sumlx > best * suml2 {
                for i in 0..<n {
                    levels[i] = Int8(truncatingIfNeeded: nmax + clamp(nearestInt(iscale * x[i]), -nmax, nmax - 1))
                }
                scale = sumlx / suml2
                best = scale * sumlx
            }
        }
        return scale
    }

    /// ggml's `make_q3_quants` with `do_rmse`: a symmetric scale for levels −nmax...nmax−1, then up to five passes
    /// that move single values to a better level; `levels` gets level + nmax (all zero for an all-zero group).
    static func symmetricScaleRefined(
        _ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ levels: UnsafeMutablePointer<Int8>
    ) -> Float {
        var maxValue: Float = 0
        var amax: Float = 0
        for i in 0..<n {
            let ax = abs(x[i])
            if ax > amax {
                amax = ax
                maxValue = x[i]
            }
        }
        if amax < groupMaxEpsilon {
            for i in 0..<n { levels[i] = 0 }
            return 0
        }
        let iscale = Float(-nmax) / maxValue
        var sumlx: Float = 0
        var suml2: Float = 0
        for i in 0..<n {
            let l = clamp(nearestInt(iscale * x[i]), -nmax, nmax - 1)
            levels[i] = Int8(truncatingIfNeeded: l)
            let w = x[i] * x[i]
            sumlx += w * x[i] * Float(l)
            suml2 += w * Float(l) * Float(l)
        }
        for _ in 0..<5 {
            var changed = 0
            for i in 0..<n {
                let w = x[i] * x[i]
                let li = Float(levels[i])
                var slx = sumlx - w * x[i] * li
                if slx > 0 {
                    var sl2 = suml2 - w * li * li
                    let newL = clamp(nearestInt(x[i] * sl2 / slx), -nmax, nmax - 1)
                    if newL != Int32(levels[i]) {
                        slx += w * x[i] * Float(newL)
                        sl2 += w * Float(newL) * Float(newL)
                        if sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2 {
                            levels[i] = Int8(truncatingIfNeeded: newL)
                            sumlx = slx
                            suml2 = sl2
                            changed += 1
                        }
                    }
                }
            }
            if changed == 0 { break }
        }
        for i in 0..<n { levels[i] = levels[i] &+ Int8(truncatingIfNeeded: nmax) }
        return suml2 > 0 ? sumlx / suml2 : 0
    }

    /// ggml's `make_qkx2_quants`: a scale and a minimum for levels 0...nmax under `weights`, trying `steps` + 1
    /// scales from (nmax + rmin)/(max − min) in `rdelta` steps; returns the scale and −minimum.
    @inline(__always)
    static func scaleAndMinimum(
        _ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
        _ levels: UnsafeMutablePointer<UInt8>, _ scratch: UnsafeMutablePointer<UInt8>,
        rmin: Float, rdelta: Float, steps: Int, absoluteError: Bool
    ) -> (scale: Float, negatedMinimum: Float) {
        var minValue = x[0]
        var maxValue = x[0]
        var sumW = weights[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            if x[i] < minValue { minValue = x[i] }
            if x[i] > maxValue { maxValue = x[i] }
            let w = weights[i]
            sumW += w
            sumX += w * x[i]
        }
        if minValue > 0 { minValue = 0 }
        if maxValue == minValue {
            for i in 0..<n { levels[i] = 0 }
            return (0, -minValue)
        }
        let fmax = Float(nmax)
        var iscale = fmax / (maxValue - minValue)
        var scale = 1 / iscale
        var bestError: Float = 0
        for i in 0..<n {
            let l = clamp(nearestInt(iscale * (x[i] - minValue)), 0, nmax)
            levels[i] = UInt8(truncatingIfNeeded: l)
            var diff = scale * Float(l) + minValue - x[i]
            diff = absoluteError ? abs(diff) : diff * diff
            bestError += weights[i] * diff
        }
        for step in 0...steps {
            iscale = (rmin + rdelta * Float(step) + fmax) / (maxValue - minValue)
            var sumL: Float = 0
            var sumL2: Float = 0
            var sumXL: Float = 0
            for i in 0..<n {
                let l = clamp(nearestInt(iscale * (x[i] - minValue)), 0, nmax)
                scratch[i] = UInt8(truncatingIfNeeded: l)
                let w = weights[i]
                let fl = Float(l)
                sumL += w * fl
                sumL2 += w * fl * fl
                sumXL += w * fl * x[i]
            }
            let determinant = sumW * sumL2 - sumL * sumL
            if determinant > 0 {
                var thisScale = (sumW * sumXL - sumX * sumL) / determinant
                var thisMin = (sumL2 * sumX - sumL * sumXL) / determinant
                if thisMin > 0 {
                    thisMin = 0
                    thisScale = sumXL / sumL2
                }
                var error: Float = 0
                for i in 0..<n {
                    var diff = thisScale * Float(scratch[i]) + thisMin - x[i]
                    diff = absoluteError ? abs(diff) : diff * diff
                    error += weights[i] * diff
                }
                if error < bestError {
                    for i in 0..<n { levels[i] = scratch[i] }
                    bestError = error
                    scale = thisScale
                    minValue = thisMin
                }
            }
        }
        return (scale, -minValue)
    }

    /// ggml's `best_index_int8`: the index of the entry of the sorted `values` nearest to `x` (ties go up).
    @inline(__always)
    static func nearestIndex(_ values: UnsafePointer<Int8>, _ count: Int, _ x: Float) -> Int {
        if x <= Float(values[0]) { return 0 }
        if x >= Float(values[count - 1]) { return count - 1 }
        var low = 0
        var high = count - 1
        while high - low > 1 {
            let middle = (low + high) / 2
            if x < Float(values[middle]) { high = middle } else { low = middle }
        }
        return x - Float(values[high - 1]) < Float(values[high]) - x ? high - 1 : high
    }

    /// Stores `value` as a little-endian f16 at `offset`.
    @inline(__always)
    static func storeHalf(_ value: Float, _ out: UnsafeMutableRawPointer, _ offset: Int) {
        out.storeBytes(of: HalfFloat.f16(from: value).littleEndian, toByteOffset: offset, as: UInt16.self)
    }

    /// The f16 stored at `offset`, as a `Float`.
    @inline(__always)
    static func loadHalf(_ out: UnsafeMutableRawPointer, _ offset: Int) -> Float {
        HalfFloat.float(fromF16: UInt16(littleEndian: out.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }
}
