import CBLAS
import CKernels
import Foundation
import Synchronization

/// A persistent pool of compute threads: the caller's thread plus `threadCount - 1` workers that wait for work.
/// One pool per engine; OpenBLAS is set to a single thread so the two never oversubscribe the cores.
///
/// A job is a number of chunks that the threads claim one at a time from a shared counter, so a worker that the
/// OS has not scheduled yet (the cores are shared) simply gets fewer chunks instead of holding the caller up.
/// A forward pass runs hundreds of short jobs, so waiting is cheap: an idle worker spins on the job counter for
/// `spinNanoseconds` before it sleeps on `condition`, and the caller spins until the last chunk is done.
///
/// `@unchecked Sendable`: `job` and `chunkCount` are written by the caller only while no worker is inside a job
/// (`inside` is 0 and `closed` is set), published by the release-add of `generation`; a worker runs a job only
/// after seeing it open under its generation with itself counted in `inside`. `sleepers` is guarded by `condition`.
public final class ComputePool: @unchecked Sendable {
    /// Threads that share each job, the caller's included.
    public let threadCount: Int
    /// How long an idle worker spins before it sleeps.
    static let spinNanoseconds: UInt64 = 200_000
    private let condition = NSCondition()
    private let generation = Atomic<Int>(0)
    private let closed = Atomic<Bool>(true)
    private let inside = Atomic<Int>(0)
    private let nextChunk = Atomic<Int>(0)
    private let finishedChunks = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var sleepers = 0
    private var job: ((Int) -> Void)?
    private var chunkCount = 0

    /// Starts `threads - 1` worker threads (at least one thread in all).
    public init(threads: Int) {
        threadCount = max(1, threads)
        openblas_set_num_threads(1)
        for _ in 1..<threadCount {
            let thread = Thread { [self] in work() }
            thread.name = "batchgate-compute"
            thread.start()
        }
    }

    deinit {
        // Workers hold `self` strongly while they run, so this runs only once they have all left `work`.
    }

    /// Stops the worker threads after any running job; the pool must not be used afterwards.
    public func shutdown() {
        condition.lock()
        stopping.store(true, ordering: .sequentiallyConsistent)
        condition.broadcast()
        condition.unlock()
    }

    /// Calls `body(i)` exactly once for every `i` in `0..<count`, spread over the pool's threads (the caller's
    /// included), and returns when all calls are done.
    public func forEachChunk(_ count: Int, _ body: (Int) -> Void) {
        guard threadCount > 1 && count > 1 else {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escaping in
            job = escaping
            chunkCount = count
            nextChunk.store(0, ordering: .relaxed)
            finishedChunks.store(0, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            closed.store(false, ordering: .sequentiallyConsistent)
            // Taking the lock orders this against a worker that is about to sleep: it either sees the new
            // generation under the lock or is already waiting and gets the broadcast.
            condition.lock()
            if sleepers > 0 { condition.broadcast() }
            condition.unlock()
            runChunks(escaping, count: count)
            var spins = 0
            while finishedChunks.load(ordering: .acquiring) < count { Self.pause(&spins) }
            closed.store(true, ordering: .sequentiallyConsistent)
            while inside.load(ordering: .sequentiallyConsistent) > 0 { Self.pause(&spins) }
            job = nil
        }
    }

    /// Calls `body(i)` once for every thread index `i` in `0..<threadCount`, concurrently where the threads are
    /// free (an index may run on any thread).
    public func run(_ body: (Int) -> Void) {
        forEachChunk(threadCount, body)
    }

    /// Splits `0..<count` into contiguous ranges of at least `minimumPerThread` items (a multiple of `granularity`
    /// except the last), `chunksPerThread` per thread, and calls `body` once for each (small counts run on the
    /// caller alone). More chunks balance uneven items and busy cores; fewer keep each thread's memory reads in
    /// long runs that the prefetchers follow.
    public func parallelRanges(
        _ count: Int, minimumPerThread: Int = 1, granularity: Int = 1, chunksPerThread: Int = 8,
        _ body: (Range<Int>) -> Void
    ) {
        let chunks = min(threadCount * max(chunksPerThread, 1), max(1, count / max(minimumPerThread, 1)))
        guard threadCount > 1 && chunks > 1 else { return body(0..<count) }
        let step = max(1, granularity)
        let size = ((count + chunks - 1) / chunks + step - 1) / step * step
        forEachChunk((count + size - 1) / size) { chunk in
            body((chunk * size)..<min(count, (chunk + 1) * size))
        }
    }

    /// Claims and runs chunks of the current job until none are left.
    private func runChunks(_ body: (Int) -> Void, count: Int) {
        while true {
            let chunk = nextChunk.add(1, ordering: .relaxed).oldValue
            if chunk >= count { return }
            body(chunk)
            finishedChunks.add(1, ordering: .releasing)
        }
    }

    /// One step of a busy wait: a CPU pause, and after many of them a yield of the core.
    @inline(__always)
    private static func pause(_ spins: inout Int) {
        spins += 1
        if spins < 20_000 { bg_cpu_relax() } else { sched_yield() }
    }

    /// Waits until the generation moves past `seen` (spinning first, then sleeping); false once stopping.
    private func waitForJob(after seen: Int) -> Bool {
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
        var spins = 0
        while generation.load(ordering: .acquiring) == seen {
            if stopping.load(ordering: .relaxed) { return false }
            bg_cpu_relax()
            spins += 1
            if spins % 64 == 0 && DispatchTime.now().uptimeNanoseconds > deadline {
                condition.lock()
                sleepers += 1
                while generation.load(ordering: .acquiring) == seen && !stopping.load(ordering: .relaxed) {
                    condition.wait()
                }
                sleepers -= 1
                condition.unlock()
            }
        }
        return !stopping.load(ordering: .relaxed)
    }

    private func work() {
        var seen = 0
        while waitForJob(after: seen) {
            seen = generation.load(ordering: .acquiring)
            inside.add(1, ordering: .sequentiallyConsistent)
            if !closed.load(ordering: .sequentiallyConsistent)
                && generation.load(ordering: .sequentiallyConsistent) == seen
            {
                var body = job
                if let body { runChunks(body, count: chunkCount) }
                // Drop this thread's reference before leaving: the caller checks that the job did not escape.
                body = nil
            }
            inside.subtract(1, ordering: .sequentiallyConsistent)
        }
    }
}
