import Glibc
import Testing

@testable import Gateway

/// The descriptor budget the listener's connections are to stay within.
@Suite struct DescriptorLimitTests {
    @Test("The budget is the configured bound or the soft limit less what is open and the reserve, the smaller")
    func budget() throws {
        let (soft, _) = try #require(DescriptorLimit.current())
        let open = try #require(DescriptorLimit.inUse())
        #expect(open > 2, "stdin, stdout and stderr at least")
        let room = soft - open - DescriptorLimit.reserve
        #expect(DescriptorLimit.connectionBudget(configured: 10) == min(10, max(1, room)))
        // Descriptors opened since change the room by as many (nothing else in this test opens any).
        #expect(abs(DescriptorLimit.connectionBudget(configured: .max) - max(1, room)) <= 4)
    }

    @Test("Raising the soft limit leaves it at the hard limit")
    func raise() throws {
        let (before, after) = try #require(DescriptorLimit.raiseSoftToHard())
        let (soft, hard) = try #require(DescriptorLimit.current())
        #expect(after >= before)
        #expect(soft == after && soft == hard)
    }
}
