import Foundation

/// Runs blocking `body` (a child process, minutes of computation) on a thread of its own and awaits its result.
///
/// Swift Testing runs tests on Swift concurrency's threads, one per core: two here. A test that blocks one of them
/// for minutes leaves the scheduler's and the gateway's timing tests a single thread, or none, and their deadlines
/// then pass while they wait to run. Tests that block for long call their blocking parts through this, and keep
/// their expectations in the test's own task.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
