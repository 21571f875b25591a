import Foundation
import Testing

/// `batchgate bench-ipc --json` with tiny counts: the shape of the report, not the speed.
@Suite("bench-ipc CLI")
struct BenchIPCCLITests {
    /// Every key Docs/bench-ipc.md documents.
    static let keys: [String] = {
        var keys: [String] = []
        for transport in ["shm_spin", "shm_sleep", "uds"] {
            for size in ["", "_4k", "_64k"] {
                keys += ["\(transport)_rtt\(size)_p50_ns", "\(transport)_rtt\(size)_p99_ns"]
            }
        }
        for name in ["shm", "shm_sleep", "uds"] {
            keys += ["\(name)_msgs_per_s_64b", "\(name)_gbytes_per_s_64k"]
        }
        keys += [
            "ratio_uds_over_shm_spin_rtt_p50", "ratio_uds_over_shm_sleep_rtt_p50", "ratio_shm_over_uds_msgs_per_s_64b",
            "ratio_shm_over_uds_gbytes_per_s_64k", "iterations", "warmup", "stream_messages_64b",
            "stream_messages_64k", "ring_capacity_bytes",
        ]
        return keys
    }()

    @Test("--json prints one object with every documented key, all positive")
    func jsonShape() throws {
        let result = try BatchgateProcess.run([
            "bench-ipc", "--json", "--iterations", "50", "--warmup", "5", "--stream-64b", "500", "--stream-64k", "20",
        ])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let report = try #require(object, "not a JSON object: \(result.stdout)")
        for key in Self.keys {
            let value = (report[key] as? NSNumber)?.doubleValue
            #expect(value.map { $0 > 0 && $0.isFinite } == true, "\(key) is \(String(describing: report[key]))")
        }
        #expect(Set(report.keys) == Set(Self.keys), "undocumented or missing keys")
    }

    @Test("The peer subcommand is hidden from help, and bad options are refused")
    func helpAndValidation() throws {
        let help = try BatchgateProcess.run(["bench-ipc", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--json"))
        #expect(!help.stdout.contains("SUBCOMMANDS"))
        #expect(!help.stdout.contains("segment-fd"))
        let bad = try BatchgateProcess.run(["bench-ipc", "--ring-capacity", "1000"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("ring-capacity"))
    }
}
