import BatchgateConfig
import Gateway
import HTTPTypes
import Synchronization
import Testing

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let now = Mutex<Duration>(.zero)
    func advance(_ by: Duration) { now.withLock { $0 += by } }
    var read: @Sendable () -> Duration { { [self] in now.withLock { $0 } } }
}

@Suite("Quotas with a controllable clock")
struct QuotaLimiterTests {
    static func key(_ name: String, _ quota: BatchgateConfiguration.Quota) -> BatchgateConfiguration.APIKey {
        .init(name: name, sha256: [String(repeating: "0", count: 64)], quotas: ["*": quota])
    }

    func refusal(_ body: () throws -> Void) -> GatewayError? {
        do {
            try body()
            return nil
        } catch {
            return error as? GatewayError
        }
    }

    @Test("A 5-per-minute key: the sixth request is refused with headers and Retry-After, and passes once room returns")
    func requestsPerMinute() throws {
        let clock = ManualClock()
        let limiter = QuotaLimiter(clock: clock.read)
        let key = Self.key("five", .init(requestsPerMinute: 5))
        let other = Self.key("other", .init(requestsPerMinute: 5))
        for second in 0..<5 {
            clock.advance(.seconds(1))
            try limiter.admit(key: key, model: "m", promptTokens: 10).release()
            #expect(
                limiter.headers(key: key, model: "m")[HTTPField.Name("x-ratelimit-remaining-requests")!]
                    == "\(4 - second)")
        }
        let error = try #require(refusal { _ = try limiter.admit(key: key, model: "m", promptTokens: 10) })
        #expect(error.status == .tooManyRequests)
        #expect(error.type == "rate_limit_exceeded")
        #expect(error.codeLabel == "requests")
        #expect(error.headers[HTTPField.Name("x-ratelimit-limit-requests")!] == "5")
        #expect(error.headers[HTTPField.Name("x-ratelimit-remaining-requests")!] == "0")
        #expect(error.headers[HTTPField.Name("x-ratelimit-reset-requests")!] != nil)
        // The first request was taken at 1 s; it stops counting one minute after the end of its 100 ms slot.
        let retry = try #require(error.retryAfter)
        #expect(retry > Duration.seconds(55) && retry <= Duration.seconds(57))
        // Another key on the same model is not affected.
        try limiter.admit(key: other, model: "m", promptTokens: 10).release()
        clock.advance(retry)
        try limiter.admit(key: key, model: "m", promptTokens: 10).release()
        #expect(refusal { _ = try limiter.admit(key: key, model: "m", promptTokens: 10) }?.codeLabel == "requests")
    }

    @Test("Tokens are charged in both directions: prompts at admission, completions as they stream")
    func tokensPerMinute() throws {
        let clock = ManualClock()
        let limiter = QuotaLimiter(clock: clock.read)
        let key = Self.key("tokens", .init(tokensPerMinute: 100))
        let lease = try limiter.admit(key: key, model: "m", promptTokens: 60)
        #expect(refusal { _ = try limiter.admit(key: key, model: "m", promptTokens: 50) }?.codeLabel == "tokens")
        for _ in 0..<40 { #expect(lease.charge(completionTokens: 1)) }
        #expect(!lease.charge(completionTokens: 1), "the 101st token of the minute is refused")
        #expect(lease.chargedTokens == 100)
        lease.release()
        // A prompt larger than the whole quota can never fit.
        let never = try #require(refusal { _ = try limiter.admit(key: key, model: "m", promptTokens: 150) })
        #expect(never.codeLabel == "tokens")
        #expect(never.headers[HTTPField.Name("x-should-retry")!] == "false")
        #expect(never.retryAfter == nil)
        clock.advance(.seconds(61))
        try limiter.admit(key: key, model: "m", promptTokens: 100).release()
    }

    @Test("A concurrency limit of 2 refuses the third and admits it the moment one ends; each release counts once")
    func concurrency() throws {
        let limiter = QuotaLimiter(clock: ManualClock().read)
        let key = Self.key("two", .init(concurrentRequests: 2))
        let first = try limiter.admit(key: key, model: "m", promptTokens: 1)
        let second = try limiter.admit(key: key, model: "m", promptTokens: 1)
        #expect(refusal { _ = try limiter.admit(key: key, model: "m", promptTokens: 1) }?.codeLabel == "concurrency")
        _ = try limiter.admit(key: Self.key("else", .init(concurrentRequests: 2)), model: "m", promptTokens: 1)
        first.release()
        first.release()
        let third = try limiter.admit(key: key, model: "m", promptTokens: 1)
        #expect(refusal { _ = try limiter.admit(key: key, model: "m", promptTokens: 1) }?.codeLabel == "concurrency")
        #expect(limiter.report(key: key, models: ["m"]).first?.concurrentRequests?.inUse == 2)
        second.release()
        third.release()
        #expect(limiter.report(key: key, models: ["m"]).first?.concurrentRequests?.inUse == 0)
    }

    @Test("A changed quota applies to the next request and keeps what was used; a removed key's state goes")
    func reload() throws {
        let limiter = QuotaLimiter(clock: ManualClock().read)
        var key = Self.key("k", .init(requestsPerMinute: 3))
        for _ in 0..<2 { try limiter.admit(key: key, model: "m", promptTokens: 1).release() }
        key.quotas["*"] = .init(requestsPerMinute: 4)
        limiter.keysReloaded([key])
        #expect(limiter.report(key: key, models: ["m"]).first?.requestsPerMinute?.remaining == 2)
        try limiter.admit(key: key, model: "m", promptTokens: 1).release()
        try limiter.admit(key: key, model: "m", promptTokens: 1).release()
        #expect(refusal { _ = try limiter.admit(key: key, model: "m", promptTokens: 1) } != nil)
        limiter.keysReloaded([])
        try limiter.admit(key: key, model: "m", promptTokens: 1).release()
    }

    @Test("Property: under random load, no 60-second window admits more than tokens_per_minute plus one step")
    func windowProperty() throws {
        var random = SystemRandomNumberGenerator()
        for trial in 0..<20 {
            let clock = ManualClock()
            let limiter = QuotaLimiter(clock: clock.read)
            let perMinute = Int.random(in: 200...5000, using: &random)
            let key = Self.key("p\(trial)", .init(tokensPerMinute: perMinute, concurrentRequests: 16))
            var charges: [(Duration, Int)] = []
            var open: [(any QuotaLease, Int)] = []
            var now = Duration.zero
            for _ in 0..<3000 {
                let advance = Duration.milliseconds(Int.random(in: 0...400, using: &random))
                clock.advance(advance)
                now += advance
                if Bool.random(using: &random), open.count < 16 {
                    let prompt = Int.random(in: 1...(perMinute / 4), using: &random)
                    if let lease = try? limiter.admit(key: key, model: "m", promptTokens: prompt) {
                        charges.append((now, prompt))
                        open.append((lease, Int.random(in: 1...200, using: &random)))
                    }
                }
                // Each open stream decodes one token per step until its length or the quota ends it.
                var index = 0
                while index < open.count {
                    if open[index].1 > 0, open[index].0.charge(completionTokens: 1) {
                        charges.append((now, 1))
                        open[index].1 -= 1
                        index += 1
                    } else {
                        open[index].0.release()
                        open.remove(at: index)
                    }
                }
            }
            // Slide a 60-second window over every charge.
            var low = 0
            var sum = 0
            for high in charges.indices {
                sum += charges[high].1
                while charges[high].0 - charges[low].0 >= .seconds(60) {
                    sum -= charges[low].1
                    low += 1
                }
                #expect(sum <= perMinute + 16, "trial \(trial): \(sum) tokens in 60 s with a limit of \(perMinute)")
            }
        }
    }
}
