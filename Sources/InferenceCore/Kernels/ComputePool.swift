import CBLAS
import Foundation

/// A persistent pool of compute threads: the caller's thread plus `threadCount - 1` workers that wait for work.
/// `run` hands every thread one index and returns when all are done. One pool per engine; OpenBLAS is set to a
/// single thread so the two never oversubscribe the cores.
///
/// `@unchecked Sendable`: all mutable state is guarded by `condition`; the job closure is only read by workers
/// between the generation bump and their completion, while `run` is blocked waiting for them.
public final class ComputePool: @unchecked Sendable {
    /// Threads that share each job, the caller's included.
    public let threadCount: Int
    private let condition = NSCondition()
    private var generation = 0
    private var remaining = 0
    private var job: ((Int) -> Void)?
    private var stopping = false

    /// Starts `threads - 1` worker threads (at least one thread in all).
    public init(threads: Int) {
        threadCount = max(1, threads)
        openblas_set_num_threads(1)
        for index in 1..<threadCount {
            let thread = Thread { [self] in work(index: index) }
            thread.name = "batchgate-compute-\(index)"
            thread.start()
        }
    }

    deinit {
        // Workers hold `self` strongly while they run, so this runs only once they have all left `work`.
    }

    /// Stops the worker threads after any running job; the pool must not be used afterwards.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// Calls `body(i)` once for every thread index `i` in `0..<threadCount`, concurrently, index 0 on the caller.
    public func run(_ body: (Int) -> Void) {
        guard threadCount > 1 else { return body(0) }
        withoutActuallyEscaping(body) { escaping in
            condition.lock()
            job = escaping
            remaining = threadCount - 1
            generation += 1
            condition.broadcast()
            condition.unlock()
            escaping(0)
            condition.lock()
            while remaining > 0 { condition.wait() }
            job = nil
            condition.unlock()
        }
    }

    /// Splits `0..<count` into one contiguous range per thread (small counts run on the caller alone).
    public func parallelRanges(_ count: Int, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
        let threads = min(threadCount, max(1, count / max(minimumPerThread, 1)))
        guard threads > 1 else { return body(0..<count) }
        run { index in
            guard index < threads else { return }
            let start = count * index / threads
            let end = count * (index + 1) / threads
            if start < end { body(start..<end) }
        }
    }

    private func work(index: Int) {
        var seen = 0
        while true {
            condition.lock()
            while generation == seen && !stopping { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            seen = generation
            var body = job
            condition.unlock()
            body?(index)
            // Drop this thread's reference before reporting done: `run` checks that the job did not escape.
            body = nil
            condition.lock()
            remaining -= 1
            if remaining == 0 { condition.broadcast() }
            condition.unlock()
        }
    }
}
