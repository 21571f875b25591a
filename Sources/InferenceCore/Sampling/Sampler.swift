import CKernels
import Foundation
import Grammar

/// One sequence's sampler: its parameters, its own random stream and the tokens the penalties look at.
///
/// Logits are processed in this order: logit bias, penalties, end-of-generation ban (`ignoreEOS`); then greedy
/// takes the first maximum, otherwise top-k, temperature softmax, top-p and min-p cut the candidates and one
/// uniform draw from the sequence's stream picks a token (walking the candidates from the most likely, or in token
/// order when nothing is cut).
public struct Sampler: Sendable {
    /// The request's parameters.
    public let parameters: SamplingParameters
    /// Tokens the sequence has seen (prompt and generated), latest last, trimmed to the penalty window.
    public private(set) var recent: [Int32] = []
    private var random: Xoshiro256StarStar
    private let banned: Set<Int32>

    /// A sampler for `parameters`; `endOfGeneration` is banned when `ignoreEOS` is set.
    public init(_ parameters: SamplingParameters, endOfGeneration: Set<Int32> = []) {
        self.parameters = parameters
        random = Xoshiro256StarStar(seed: parameters.seed)
        banned = parameters.ignoreEOS ? endOfGeneration : []
    }

    /// Notes tokens the penalties should see.
    public mutating func record(_ tokens: some Sequence<Int32>) {
        guard parameters.penaltyWindow > 0 else { return }
        recent.append(contentsOf: tokens)
        if recent.count > parameters.penaltyWindow { recent.removeFirst(recent.count - parameters.penaltyWindow) }
    }

    /// Picks the next token from `logits` and records it. `scan` is `LogitScan(logits)` when the caller has it
    /// already. With `allowed`, only its tokens can be picked (an output constraint, applied after the penalties);
    /// the reported log-probabilities stay those of the model's own logits.
    public mutating func sample(
        _ logits: UnsafeBufferPointer<Float>, scan: LogitScan? = nil, allowed: TokenMask? = nil
    ) -> SampledToken {
        let scan = scan ?? LogitScan(logits)
        let token: Int32
        if parameters.temperature <= 0 && scan.allFinite && !changesLogits
            && !banned.contains(Int32(scan.firstMaximum)) && (allowed?.contains(scan.firstMaximum) ?? true)
        {
            // Nothing changes a logit except the ban, which the first maximum escapes: it is also the first
            // maximum of the processed logits, so the row need not be copied.
            token = Int32(scan.firstMaximum)
        } else {
            var processed = Array(logits)
            applyPenalties(&processed)
            if let allowed { processed.withUnsafeMutableBufferPointer { allowed.apply(to: $0) } }
            token = parameters.temperature <= 0 ? Self.argmax(processed) : draw(processed)
        }
        record(CollectionOfOne(token))
        return Self.logprobs(
            of: token, in: logits, top: parameters.topLogprobs, maximum: scan.allFinite ? scan.maximum : nil)
    }

    /// Whether logit bias or a penalty can change a logit (the end-of-generation ban aside).
    var changesLogits: Bool {
        let p = parameters
        let penalized = p.repetitionPenalty != 1 || p.frequencyPenalty != 0 || p.presencePenalty != 0
        return !p.logitBias.isEmpty || (penalized && !recent.isEmpty)
    }

    /// Logit bias, repetition/presence/frequency penalties and the end-of-generation ban.
    func applyPenalties(_ l: inout [Float]) {
        for (token, bias) in parameters.logitBias where token >= 0 && Int(token) < l.count { l[Int(token)] += bias }
        var counts: [Int32: Int] = [:]
        for t in recent { counts[t, default: 0] += 1 }
        let p = parameters
        for (token, count) in counts where token >= 0 && Int(token) < l.count {
            var v = l[Int(token)]
            if p.repetitionPenalty != 1 { v = v > 0 ? v / p.repetitionPenalty : v * p.repetitionPenalty }
            v -= Float(count) * p.frequencyPenalty + p.presencePenalty
            l[Int(token)] = v
        }
        for token in banned where Int(token) < l.count { l[Int(token)] = -.infinity }
    }

    /// The index of the first maximum (NaN never counts as one).
    static func argmax(_ l: [Float]) -> Int32 {
        l.withUnsafeBufferPointer { Int32(LogitScan($0).firstMaximum) }
    }

    /// Top-k, temperature, top-p and min-p, then one draw.
    mutating func draw(_ l: [Float]) -> Int32 {
        if parameters.topK <= 0 && parameters.topP >= 1 && parameters.minP <= 0 { return drawFromAll(l) }
        var candidates: [Int]
        if parameters.topK > 0 && parameters.topK <= 256 {
            candidates = Self.largest(parameters.topK, of: l)
        } else {
            candidates = l.indices.filter { l[$0] > -.infinity }
            candidates.sort { l[$0] > l[$1] || (l[$0] == l[$1] && $0 < $1) }
            if parameters.topK > 0 && candidates.count > parameters.topK {
                candidates.removeLast(candidates.count - parameters.topK)
            }
        }
        guard !candidates.isEmpty else { return Self.argmax(l) }
        let top = l[candidates[0]]
        var probabilities = candidates.map { Double(expf((l[$0] - top) / parameters.temperature)) }
        let total = probabilities.reduce(0, +)
        var keep = probabilities.count
        if parameters.topP < 1 {
            var cumulative = 0.0
            for (i, p) in probabilities.enumerated() {
                cumulative += p / total
                if cumulative >= Double(parameters.topP) {
                    keep = i + 1
                    break
                }
            }
        }
        if parameters.minP > 0 {
            let threshold = Double(parameters.minP) * probabilities[0]
            keep = min(keep, probabilities.prefix(keep).filter { $0 >= threshold }.count)
        }
        probabilities.removeLast(probabilities.count - keep)
        let kept = probabilities.reduce(0, +)
        let u = Double(random.next() >> 11) * 0x1p-53 * kept
        var cumulative = 0.0
        for (i, p) in probabilities.enumerated() {
            cumulative += p
            if u < cumulative { return Int32(candidates[i]) }
        }
        return Int32(candidates[keep - 1])
    }

    /// Temperature sampling with no cut (no top-k, top-p or min-p): one draw walked in token order. The order of
    /// the walk does not change the distribution, and skipping the sort of the whole vocabulary saves about 15 ms
    /// per token on a 150k vocabulary, which a step of 16 sequences would otherwise spend on one core.
    @_optimize(speed)
    mutating func drawFromAll(_ l: [Float]) -> Int32 {
        var top = -Float.infinity
        for v in l { top = max(top, v) }
        guard top > -.infinity else { return Self.argmax(l) }
        var probabilities = [Double](repeating: 0, count: l.count)
        var total = 0.0
        for i in l.indices where l[i] > -.infinity {
            let p = Double(expf((l[i] - top) / parameters.temperature))
            probabilities[i] = p
            total += p
        }
        let u = Double(random.next() >> 11) * 0x1p-53 * total
        var cumulative = 0.0
        var last = 0
        for i in l.indices where probabilities[i] > 0 {
            cumulative += probabilities[i]
            last = i
            if u < cumulative { return Int32(i) }
        }
        return Int32(last)
    }

    /// The indices of the `k` largest logits (banned ones, at minus infinity, left out), largest first and ties by
    /// lower index: what sorting every candidate and keeping the first `k` gives, in one pass (for small `k`).
    @_optimize(speed)
    static func largest(_ k: Int, of l: [Float]) -> [Int] {
        var best: [Int] = []
        best.reserveCapacity(k + 1)
        for i in l.indices where l[i] > -.infinity {
            if best.count == k, l[i] <= l[best[k - 1]] { continue }
            let at = best.firstIndex { l[i] > l[$0] } ?? best.count
            best.insert(i, at: at)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    /// `token`'s log-probability under `logits` and the `top` most likely tokens (log-softmax: `expf` of each logit
    /// minus the maximum, summed in `Double`). `known` is the logits' maximum when the caller has it already.
    @_optimize(speed)
    public static func logprobs(
        of token: Int32, in logits: UnsafeBufferPointer<Float>, top: Int, maximum known: Float? = nil
    ) -> SampledToken {
        var maximum = -Float.infinity
        if let known { maximum = known } else { for v in logits { maximum = max(maximum, v) } }
        var sum: Double = 0
        if NativeKernels.available {
            sum = bg_sum_exp(logits.baseAddress!, logits.count, maximum)
        } else {
            // expf (about 4× cheaper than a Double exp over 150k logits), summed in Double.
            for v in logits { sum += Double(expf(v - maximum)) }
        }
        let logSum = Float(log(sum))
        func logprob(_ i: Int) -> Float { logits[i] - maximum - logSum }
        var best: [Int] = []
        if top > 0 {
            for i in logits.indices {
                if best.count == top, logits[i] <= logits[best[top - 1]] { continue }
                let at = best.firstIndex { logits[i] > logits[$0] } ?? best.count
                best.insert(i, at: at)
                if best.count > top { best.removeLast() }
            }
        }
        return SampledToken(
            token: token, logprob: logprob(Int(token)),
            topLogprobs: best.map { TokenLogprob(token: Int32($0), logprob: logprob($0)) })
    }
}
