/// Reads the samples of the Prometheus text format the gateway's registry writes, into a `DashboardTick`: so the
/// dashboard shows exactly what `/metrics` shows.
enum ExpositionReader {
    /// One sample line: family-or-series name, labels, value.
    struct Sample {
        var name: Substring
        var labels: [Substring: Substring]
        var value: Double
    }

    /// The samples of `text`, comments skipped (the value is what follows the line's last space).
    static func samples(_ text: String) -> [Sample] {
        var samples: [Sample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            let series = line[..<space]
            guard let open = series.firstIndex(of: "{") else {
                samples.append(Sample(name: series, labels: [:], value: value))
                continue
            }
            samples.append(Sample(name: series[..<open], labels: labels(series[open...]), value: value))
        }
        return samples
    }

    /// `{a="x",b="y"}` as a dictionary; values are unescaped (`\\`, `\"`, `\n`), so a key name holding a comma
    /// or a quote reads back whole.
    static func labels(_ text: Substring) -> [Substring: Substring] {
        var labels: [Substring: Substring] = [:]
        var rest = text.dropFirst()
        while let equals = rest.firstIndex(of: "="), rest[rest.index(after: equals)...].first == "\"" {
            let name = rest[..<equals].drop { $0 == "," || $0 == " " }
            var value = ""
            var index = rest.index(equals, offsetBy: 2)
            while index < rest.endIndex, rest[index] != "\"" {
                if rest[index] == "\\", rest.index(after: index) < rest.endIndex {
                    index = rest.index(after: index)
                    value.append(rest[index] == "n" ? "\n" : rest[index])
                } else {
                    value.append(rest[index])
                }
                index = rest.index(after: index)
            }
            labels[name] = Substring(value)
            rest = index < rest.endIndex ? rest[rest.index(after: index)...] : ""
        }
        return labels
    }

    /// The tick at `time` of the exposition `text`.
    static func tick(_ text: String, time: Double) -> DashboardTick {
        var tick = DashboardTick(time: time)
        for sample in samples(text) {
            if let key = sample.labels["key"],
                sample.name.hasPrefix("batchgate_key_")
                    || sample.name == "batchgate_quota_rejections_total"
            {
                var figures = tick.keys[String(key)] ?? DashboardTick.KeyFigures()
                switch sample.name {
                case "batchgate_key_requests_total": figures.requests += sample.value
                case "batchgate_key_prompt_tokens_total": figures.promptTokens += sample.value
                case "batchgate_key_generation_tokens_total": figures.generationTokens += sample.value
                case "batchgate_quota_rejections_total": figures.refusals += sample.value
                default: break
                }
                tick.keys[String(key)] = figures
                continue
            }
            guard let model = sample.labels["model"].map(String.init) else { continue }
            var figures = tick.models[model] ?? DashboardTick.ModelFigures()
            let worker = sample.labels["worker"].flatMap { Int($0) }
            switch sample.name {
            case "batchgate_num_requests_waiting": figures.waiting = sample.value
            case "batchgate_num_requests_running": figures.running = sample.value
            case "batchgate_kv_cache_usage_perc": figures.kvUsage = sample.value
            case "batchgate_requests_total": figures.requests += sample.value
            case "batchgate_prompt_tokens_total": figures.promptTokens = sample.value
            case "batchgate_generation_tokens_total": figures.generationTokens = sample.value
            case "batchgate_step_duration_seconds_sum": figures.stepSeconds = sample.value
            case "batchgate_step_duration_seconds_count": figures.steps = sample.value
            case "batchgate_prefix_cache_hit_tokens_total": figures.prefixHitTokens = sample.value
            case "batchgate_worker_restarts_total": figures.restarts = sample.value
            case "batchgate_num_preemptions_total": figures.preemptions = sample.value
            case "batchgate_worker_up": if let worker { figures.workers[worker, default: .init()].up = sample.value }
            case "batchgate_kv_blocks_used":
                if let worker { figures.workers[worker, default: .init()].kvUsed = sample.value }
            case "batchgate_kv_blocks_free":
                if let worker { figures.workers[worker, default: .init()].kvFree = sample.value }
            default: break
            }
            tick.models[model] = figures
        }
        return tick
    }
}
