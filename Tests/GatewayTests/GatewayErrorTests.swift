import Gateway
import Scheduler
import Testing

@Suite struct GatewayErrorTests {
    @Test("Every scheduler refusal maps to the status its code promises")
    func schedulerRefusals() {
        for code in SchedulerError.Code.allCases {
            let error = GatewayError(SchedulerError(code, "detail"))
            #expect(error.status.code == SchedulerError(code, "detail").httpStatus, "\(code)")
        }
    }
}
