import Foundation

/// The figures of one `bench-ipc` run, under the key names Docs/bench-ipc.md lists.
struct IPCBenchReport {
    /// Key → value, in the order the table and the JSON print them.
    private(set) var entries: [(key: String, value: Double)] = []

    init(settings: IPCBenchSettings, latencies: IPCBenchPhases.Latencies, streams: IPCBenchPhases.StreamTimes) {
        for transport in IPCTransport.allCases {
            for size in IPCBenchSettings.roundTripSizes {
                var samples = latencies[transport]?[size] ?? []
                samples.sort()
                let prefix = transport.rawValue + "_rtt" + Self.sizeSuffix(size)
                add(prefix + "_p50_ns", Double(Self.percentile(samples, 50)))
                add(prefix + "_p99_ns", Double(Self.percentile(samples, 99)))
            }
        }
        for transport in IPCTransport.allCases {
            let name = transport == .shmSpin ? "shm" : transport.rawValue
            let small = IPCBenchSettings.smallStreamSize
            let large = IPCBenchSettings.largeStreamSize
            let smallSeconds = Double(streams[transport]?[small] ?? 0) / 1e9
            let largeSeconds = Double(streams[transport]?[large] ?? 0) / 1e9
            add(name + "_msgs_per_s_64b", Double(settings.smallStreamMessages) / smallSeconds)
            add(name + "_gbytes_per_s_64k", Double(settings.largeStreamMessages * large) / largeSeconds / 1e9)
        }
        add("ratio_uds_over_shm_spin_rtt_p50", value("uds_rtt_p50_ns") / value("shm_spin_rtt_p50_ns"))
        add("ratio_uds_over_shm_sleep_rtt_p50", value("uds_rtt_p50_ns") / value("shm_sleep_rtt_p50_ns"))
        add("ratio_shm_over_uds_msgs_per_s_64b", value("shm_msgs_per_s_64b") / value("uds_msgs_per_s_64b"))
        add("ratio_shm_over_uds_gbytes_per_s_64k", value("shm_gbytes_per_s_64k") / value("uds_gbytes_per_s_64k"))
        add("iterations", Double(settings.iterations))
        add("warmup", Double(settings.warmup))
        add("stream_messages_64b", Double(settings.smallStreamMessages))
        add("stream_messages_64k", Double(settings.largeStreamMessages))
        add("ring_capacity_bytes", Double(settings.ringCapacity))
    }

    /// The value under `key` (0 when absent).
    func value(_ key: String) -> Double {
        entries.first { $0.key == key }?.value ?? 0
    }

    /// One JSON object, keys in table order; integral values print without a fraction.
    var json: String {
        let fields = entries.map { entry -> String in
            let text =
                entry.value.isFinite && entry.value == entry.value.rounded() && abs(entry.value) < 1e15
                ? String(Int64(entry.value)) : (entry.value.isFinite ? String(format: "%.4f", entry.value) : "null")
            return "\"\(entry.key)\": \(text)"
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// The console table: latencies by transport and size, then throughput, then ratios vs the targets.
    var table: String {
        var lines = ["round trip (ns)        64 B p50   p99     4 KiB p50   p99     64 KiB p50  p99"]
        for transport in IPCTransport.allCases {
            var line = transport.title.padding(toLength: 20, withPad: " ", startingAt: 0)
            for size in IPCBenchSettings.roundTripSizes {
                let prefix = transport.rawValue + "_rtt" + Self.sizeSuffix(size)
                line += String(format: "%9.0f %7.0f  ", value(prefix + "_p50_ns"), value(prefix + "_p99_ns"))
            }
            lines.append(line)
        }
        lines.append("")
        lines.append("one way                64 B msgs/s      64 KiB GB/s")
        for transport in IPCTransport.allCases {
            let name = transport == .shmSpin ? "shm" : transport.rawValue
            lines.append(
                transport.title.padding(toLength: 20, withPad: " ", startingAt: 0)
                    + String(
                        format: "%14.0f %16.2f", value(name + "_msgs_per_s_64b"), value(name + "_gbytes_per_s_64k")))
        }
        lines.append("")
        lines.append(
            String(
                format: "RTT p50 socket/ring (spin) %.1f× (target ≥ 10×); 64 B %.2f M msgs/s (target ≥ 5); "
                    + "64 KiB %.2f GB/s (target ≥ 5)",
                value("ratio_uds_over_shm_spin_rtt_p50"), value("shm_msgs_per_s_64b") / 1e6,
                value("shm_gbytes_per_s_64k")))
        return lines.joined(separator: "\n")
    }

    private mutating func add(_ key: String, _ value: Double) {
        entries.append((key, value))
    }

    /// "" for 64 B, "_4k", "_64k".
    static func sizeSuffix(_ size: Int) -> String {
        size == 64 ? "" : "_\(size / 1024)k"
    }

    /// The nearest-rank percentile of sorted samples (0 when empty).
    static func percentile(_ sorted: [UInt64], _ percent: Int) -> UInt64 {
        guard !sorted.isEmpty else { return 0 }
        let rank = (sorted.count * percent + 99) / 100
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
