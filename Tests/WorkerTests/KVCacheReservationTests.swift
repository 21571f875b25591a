import Testing

@testable import Worker

/// The worker's check that its KV cache can be allocated before the engine takes it.
@Suite struct KVCacheReservationTests {
    @Test("A KV cache larger than the machine is refused with kv_cache_unavailable and exit status 78, not a trap")
    func tooLarge() {
        #expect {
            try WorkerProcess.reserveKVCache(mebibytes: 64 << 20)
        } throws: { error in
            guard let error = error as? WorkerProcessError else { return false }
            return error.code == .kvCacheUnavailable && error.exitStatus == 78
                && error.description.contains("64") && error.description.contains("kv_cache_mib")
        }
    }

    @Test("A small KV cache is reserved and given back")
    func small() throws {
        try WorkerProcess.reserveKVCache(mebibytes: 8)
    }

    @Test("A step loop failure exits 1: the supervisor restarts it at once")
    func otherFailures() {
        #expect(WorkerProcessError(.stopped, "x").exitStatus == 1)
        #expect(WorkerProcessError(.modelUnavailable, "x").exitStatus == 78)
    }
}
