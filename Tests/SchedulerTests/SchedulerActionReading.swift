import Scheduler

/// A stream event that an event's actions hand to one request: a token or its finish.
struct Delivery: Equatable {
    /// The request.
    var id: UInt64
    /// What it gets.
    var event: GenerationEvent
}

/// Reading the actions a `SchedulerCore` event returns, for tests that look at one kind of them.
extension Array where Element == SchedulerCore.Action {
    /// The tokens and finishes, in order.
    var deliveries: [Delivery] {
        compactMap { action in
            switch action {
            case .deliverToken(let id, let token): Delivery(id: id, event: .token(token))
            case .finish(let id, let finish): Delivery(id: id, event: .finished(finish))
            default: nil
            }
        }
    }

    /// The step to send, if the actions send one.
    var plan: SchedulerCore.StepPlan? {
        for case .sendStep(let plan, _) in self { return plan }
        return nil
    }

    /// The workers whose step loops are woken, in order.
    var wakes: [Int] {
        compactMap { action in
            if case .wakeWorker(let index) = action { return index }
            return nil
        }
    }
}
