import BatchgateTestSupport
import Foundation
import Glibc
import Testing

/// Chaos on the worker side: a worker that hangs, a model file truncated or replaced under running workers, a KV
/// cache that cannot be allocated. Each runs steady traffic (`Python/chaos_load.py`) and checks that nothing is lost
/// and that the gateway's counters balance afterwards.
@Suite("Chaos: workers", .serialized)
struct ChaosWorkerTests {
    /// Whether process `pid` still exists (a zombie counts as gone).
    static func exists(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }

    @Test("A worker SIGSTOPped for 20 s under traffic: found by its stale heartbeat, killed and replaced, nothing lost")
    func stoppedWorker() throws {
        let gateway = try LiveGateway(workers: 2, maxRunning: 4)
        let workers = gateway.workerPIDs
        try #require(workers.count == 2)
        let hung = workers[0]
        let load = try ChaosScript("chaos_load.py", against: gateway, arguments: ["27", "4"])
        usleep(2_000_000)
        kill(hung, SIGSTOP)
        let stopped = Date()
        var detected: TimeInterval?
        while Date().timeIntervalSince(stopped) < 20 {
            if detected == nil, try gateway.metric("batchgate_worker_restarts_total") ?? 0 >= 1 {
                detected = Date().timeIntervalSince(stopped)
            }
            usleep(200_000)
        }
        kill(hung, SIGCONT)
        load.expectBalanced(gateway)
        let seconds = try #require(
            detected, "the stopped worker was never counted dead: \(gateway.logText.suffix(3000))")
        // The heartbeat bound is 5 s; the check runs every second while idle and every 50 ms in a step.
        #expect(seconds < 9, "found after \(seconds) s")
        #expect(!Self.exists(hung), "the hung worker \(hung) was not killed")
        #expect(gateway.logText.contains("heartbeat stale"), "\(gateway.logText.suffix(3000))")
        #expect(gateway.workerPIDs.count == 2 && !gateway.workerPIDs.contains(hung))
        #expect(try gateway.metric("batchgate_worker_hangs_total{model=\"tiny\"}") ?? 0 >= 1)
    }

    @Test("An idle worker SIGSTOPped is found hung without any request, and replaced")
    func stoppedIdleWorker() throws {
        let gateway = try LiveGateway(modelLines: "    worker_heartbeat_timeout: 2s")
        let hung = try #require(gateway.workerPIDs.first)
        kill(hung, SIGSTOP)
        defer { kill(hung, SIGCONT) }
        let stopped = Date()
        var hangs = 0.0
        while hangs < 1, Date().timeIntervalSince(stopped) < 10 {
            usleep(200_000)
            hangs = try gateway.metric("batchgate_worker_hangs_total{model=\"tiny\"}") ?? 0
        }
        // A 2 s bound, looked at about once a second by the idle step loop.
        #expect(hangs == 1, "\(gateway.logText.suffix(2000))")
        #expect(Date().timeIntervalSince(stopped) < 5)
        #expect(!Self.exists(hung))
        try ChaosScript.expectBalanced("chaos_load.py", against: gateway, arguments: ["2", "2", "--no-leave"])
    }

    @Test(
        "The model file truncated under a running worker: the worker dies, requests get clear errors, and it comes back"
    )
    func truncatedModel() throws {
        let gateway = try LiveGateway(
            modelLines: "    unavailable_grace: 1s\n    queue_timeout: 3s")
        let model = gateway.folder.appendingPathComponent("tiny.gguf").path
        let original = try Data(contentsOf: URL(fileURLWithPath: model))
        let load = try ChaosScript("chaos_load.py", against: gateway, arguments: ["14", "3", "--timeout=20"])
        usleep(1_500_000)
        // In place: the same inode, so every mapping of it loses its pages (SIGBUS on the next access).
        #expect(truncate(model, 4096) == 0)
        usleep(6_000_000)
        let readyWhileBroken = try gateway.curl(["-o", "/dev/null", "-w", "%{http_code}", gateway.url("/health/ready")])
        // Back in place, the restarted worker loads it again.
        try original.write(to: URL(fileURLWithPath: model))
        let output = load.expectBalanced(gateway)
        let outcomes = ChaosScript.outcomes(in: output)
        #expect(outcomes.keys.contains { $0.hasPrefix("error:") }, "no request met the broken model: \(outcomes)")
        #expect(readyWhileBroken.output == "503")
        #expect(gateway.logText.contains("cannot load model"), "\(gateway.logText.suffix(3000))")
        // Restarts back off (1 s, doubling): a handful in these seconds, not a loop.
        #expect(try gateway.metric("batchgate_worker_restarts_total") ?? 0 <= 6)
        let deadline = Date().addingTimeInterval(20)
        var ready = ""
        while Date() < deadline {
            ready = try gateway.curl(["-o", "/dev/null", "-w", "%{http_code}", gateway.url("/health/ready")]).output
            if ready == "200" { break }
            usleep(200_000)
        }
        #expect(ready == "200", "the worker did not come back: \(gateway.logText.suffix(3000))")
        try ChaosScript.expectBalanced("chaos_load.py", against: gateway, arguments: ["2", "2", "--no-leave"])
    }

    @Test("The model file replaced by rename under running workers: they keep serving from the old file")
    func replacedModel() throws {
        let gateway = try LiveGateway()
        let model = gateway.folder.appendingPathComponent("tiny.gguf")
        let load = try ChaosScript("chaos_load.py", against: gateway, arguments: ["6", "3"])
        usleep(1_500_000)
        // A new inode at the same path: not a model at all.
        let replacement = gateway.folder.appendingPathComponent("replacement.gguf")
        try Data(repeating: 0x5A, count: 4096).write(to: replacement)
        #expect(rename(replacement.path, model.path) == 0)
        let output = load.expectBalanced(gateway)
        #expect(ChaosScript.outcomes(in: output).keys.allSatisfy { !$0.hasPrefix("error:") }, "\(output)")
        #expect(try gateway.metric("batchgate_worker_restarts_total") ?? 0 == 0)
    }

    @Test("A KV cache the worker cannot allocate: a clear error at start and in /health/ready, restarts backed off")
    func kvCacheTooLarge() throws {
        // 64 TiB: more than any machine the tests run on has.
        let gateway = try LiveGateway(
            kvCacheMiB: 64 << 20, modelLines: "    unavailable_grace: 2s", waitForReady: false)
        usleep(4_000_000)
        let (body, _) = try gateway.curl([gateway.url("/health/ready")])
        let status = try gateway.curl(["-o", "/dev/null", "-w", "%{http_code}", gateway.url("/health/ready")]).output
        #expect(status == "503", "\(body)")
        #expect(body.contains("tiny") && body.contains("cannot start"), "\(body)")
        #expect(gateway.process.isRunning)
        #expect(gateway.logText.contains("cannot allocate the KV cache"), "\(gateway.logText.suffix(3000))")
        #expect(!gateway.logText.contains("Fatal error"), "the worker crashed: \(gateway.logText.suffix(3000))")
        // After a start failure the next attempt waits the longest back-off (10 s): one failure in these 4 s.
        let restarts = try gateway.metric("batchgate_worker_restarts_total") ?? 0
        #expect(restarts == 1, "\(restarts) restarts in 4 s: \(gateway.logText.suffix(3000))")
        // A request gets a clear error, not a hang.
        let (answer, _) = try gateway.curl([
            gateway.url("/v1/completions"), "-H", "Authorization: Bearer \(LiveGateway.key)",
            "-H", "Content-Type: application/json", "-d", #"{"model":"tiny","prompt":"x","max_tokens":2}"#,
        ])
        #expect(answer.contains("\"error\""), "\(answer)")
    }
}
