import BatchgateTestSupport
import Foundation
import Glibc
import Testing

/// Chaos in the machine's resources: a disk that fills, descriptors that run out, thousands of idle connections.
@Suite("Chaos: resources", .serialized)
struct ChaosResourceTests {
    /// Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN, as CI runs `make test`).
    static let canMount: Bool = {
        guard geteuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("chaos-mount-\(getpid())")
        try? FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: probe) }
        guard mount("tmpfs", probe.path, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount(probe.path)
        return true
    }()

    @Test(
        "The disk full under the usage records and the log: requests are still answered, drops are counted, it recovers",
        .enabled(if: canMount, "needs root and mount(2) for a small tmpfs"))
    func diskFull() throws {
        let disk = FileManager.default.temporaryDirectory.appendingPathComponent("chaos-disk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        try #require(mount("tmpfs", disk.path, "tmpfs", 0, "size=2m") == 0)
        defer {
            umount2(disk.path, Int32(MNT_DETACH))
            try? FileManager.default.removeItem(at: disk)
        }
        let gateway = try LiveGateway(
            sections: "cluster:\n  data_directory: \(disk.path)/data\n  usage_buffer: 8",
            log: disk.appendingPathComponent("gateway.log"))
        try ChaosScript.expectBalanced("chaos_load.py", against: gateway, arguments: ["2", "2", "--no-leave"])
        // Fill what is left: every write from now on fails with ENOSPC.
        let filler = disk.appendingPathComponent("filler")
        FileManager.default.createFile(atPath: filler.path, contents: nil)
        let handle = try FileHandle(forWritingTo: filler)
        let block = Data(count: 16 << 10)
        while (try? handle.write(contentsOf: block)) != nil {}
        try? handle.close()
        let output = try ChaosScript.expectBalanced(
            "chaos_load.py", against: gateway, arguments: ["5", "3", "--no-leave"])
        #expect(ChaosScript.outcomes(in: output).keys.allSatisfy { $0 == "ok" }, "\(output)")
        #expect(gateway.process.isRunning)
        let dropped = try gateway.metric("batchgate_usage_records_dropped_total") ?? 0
        #expect(dropped > 0, "usage records were neither written nor counted as dropped")
        // Room again: the gateway goes on serving and writing.
        try FileManager.default.removeItem(at: filler)
        try ChaosScript.expectBalanced("chaos_load.py", against: gateway, arguments: ["3", "2", "--no-leave"])
        #expect(gateway.process.isRunning)
    }

    @Test("File descriptors exhausted: new connections refused, the open one served, and then it recovers")
    func descriptorsExhausted() throws {
        // Started under a low `ulimit -n` (soft and hard, so `serve` cannot raise it): the listener's budget is what
        // the limit leaves after the descriptors in use at start and `DescriptorLimit.reserve`.
        let gateway = try LiveGateway(launcher: ["/usr/bin/prlimit", "--nofile=160:160", "--"])
        let script = try ChaosScript(
            "chaos_descriptors.py", against: gateway, arguments: ["\(gateway.process.processIdentifier)"])
        let (status, output) = script.finish()
        print(output)
        // A process out of descriptors dies in libdispatch (`DescriptorLimit`): the front door's connection bound
        // is held under the budget the limit leaves, so the crowd is refused before the process runs out.
        #expect(gateway.process.isRunning, "\(gateway.logText.suffix(1500))")
        #expect(status == 0 && output.contains("balanced: nothing lost"), "\(output)")
        let refusals = try gateway.metric("batchgate_connection_bounds_hit_total{bound=\"max_connections\"}") ?? 0
        #expect(refusals > 0, "the refused connections were not counted")
    }

    @Test("A second gateway on a port in use exits 1 with a clear error, not a crash")
    func portInUse() throws {
        let gateway = try LiveGateway()
        let second = Process()
        second.executableURL = URL(fileURLWithPath: try WorkerSupport.executable())
        second.arguments = ["serve", "--config", gateway.folder.appendingPathComponent("batchgate.yaml").path]
        let log = gateway.folder.appendingPathComponent("second.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        second.standardOutput = handle
        second.standardError = handle
        try second.run()
        second.waitUntilExit()
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(second.terminationReason == .exit && second.terminationStatus == 1, "\(text.suffix(2000))")
        #expect(text.contains("cannot serve") && text.contains("in use"), "\(text.suffix(2000))")
        #expect(gateway.process.isRunning)
    }

    @Test("Workers inherit none of the gateway's sockets: the port is free again as soon as the gateway is gone")
    func workersHoldNoSockets() throws {
        let gateway = try LiveGateway(workers: 2)
        // A connection open while the workers run, so that a leaked accepted socket would show too.
        try gateway.curl(["-o", "/dev/null", gateway.url("/health/ready")])
        let workers = gateway.workerPIDs
        try #require(workers.count == 2)
        for pid in workers {
            let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
            let sockets = fds.compactMap {
                try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")
            }
            .filter { $0.hasPrefix("socket:") }
            #expect(sockets.isEmpty, "worker \(pid) holds \(sockets)")
        }
    }

    @Test("5,000 idle TLS connections: normal requests still succeed with normal latency")
    func idleConnections() throws {
        // The gateway inherits this process's descriptor limit: room for 5,000 connections and then some.
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let wanted: rlim_t = 16_384
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = wanted
            raised.rlim_max = max(limit.rlim_max, wanted)
            try #require(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0, "cannot raise RLIMIT_NOFILE")
        }
        // Idle connections are closed after the header timeout (10 s by default): held here for the whole test, so
        // that the traffic really runs beside 5,000 of them.
        let gateway = try LiveGateway(listener: "  header_timeout: 5m\n  idle_timeout: 5m")
        try ChaosScript.expectBalanced("chaos_idle_tls.py", against: gateway, arguments: ["5000"])
        #expect(gateway.process.isRunning)
    }
}
