import Yams

/// The models that were read, plus every name defined (even in entries with other problems), so that key
/// references are checked against what the operator wrote rather than failing twice.
struct ParsedModels {
    var models: [BatchgateConfiguration.Model] = []
    var names: Set<String> = []
}

extension NodeReader {
    static let modelKeys = [
        "name", "path", "workers", "threads", "max_batch_tokens", "max_running", "max_queue", "queue_timeout",
        "target_itl",
        "kv_cache_mib", "context_length", "chat_template", "unavailable_grace", "prefix_cache",
        "prefix_cache_max_share", "pipeline", "pipeline_micro_batches", "pipeline_tls", "worker_heartbeat_timeout",
        "step_timeout",
    ]

    /// Whether `name` is a valid model name: one or more of `A-Z a-z 0-9 . _ : -`.
    static func isValidModelName(_ name: String) -> Bool {
        !name.isEmpty
            && name.unicodeScalars.allSatisfy {
                ($0.isASCII && $0.properties.isAlphabetic) || "0123456789._:-".unicodeScalars.contains($0)
            }
    }

    mutating func readModels(_ root: Fields, baseDirectory: String) -> ParsedModels {
        var parsed = ParsedModels()
        guard let entry = required(root, "models") else { return parsed }
        guard let items = list(entry.value, path: entry.path) else { return parsed }
        if items.isEmpty {
            report(.invalidValue, "must list at least one model", at: entry.value, path: entry.path)
        }
        var firstLine: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let path = "\(entry.path)[\(index)]"
            guard let fields = fields(item, path: path, allowed: Self.modelKeys) else { continue }
            var name: String?
            if let nameEntry = required(fields, "name"), let text = string(nameEntry.value, path: nameEntry.path) {
                if !Self.isValidModelName(text) {
                    report(
                        .invalidValue,
                        "invalid model name '\(text)': use only letters, digits, '.', '_', ':' and '-'",
                        at: nameEntry.value,
                        path: nameEntry.path
                    )
                } else if let line = firstLine[text] {
                    report(
                        .duplicate,
                        "duplicate model name '\(text)' (first defined at line \(line))",
                        at: nameEntry.value,
                        path: nameEntry.path
                    )
                } else {
                    firstLine[text] = nameEntry.value.mark?.line ?? 0
                    parsed.names.insert(text)
                    name = text
                }
            }
            let modelPath = readModelFile(fields, baseDirectory: baseDirectory)
            var model = readModelLimits(fields, name: name ?? "", path: modelPath ?? "")
            model.pipelineTLS = readPipelineTLS(fields, pipeline: model.pipeline, baseDirectory: baseDirectory)
            if name != nil, modelPath != nil {
                parsed.models.append(model)
            }
        }
        return parsed
    }

    /// The model's absolute path, checked to exist, be readable and start with `GGUF`.
    private mutating func readModelFile(_ fields: Fields, baseDirectory: String) -> String? {
        guard let entry = required(fields, "path"), let text = string(entry.value, path: entry.path) else { return nil }
        let path = text.resolvedPath(relativeTo: baseDirectory)
        switch FileProbe.probe(path, prefixLength: 4) {
        case .missing:
            report(.fileMissing, "model file not found: \(path)", at: entry.value, path: entry.path)
        case .unreadable(let reason):
            report(
                .fileUnreadable, "model file is not readable: \(path) (\(reason))", at: entry.value, path: entry.path)
        case .readable(let prefix):
            guard prefix == Array("GGUF".utf8) else {
                report(.notGGUF, "not a GGUF file (bad magic): \(path)", at: entry.value, path: entry.path)
                return nil
            }
            return path
        }
        return nil
    }

    private mutating func readModelLimits(
        _ fields: Fields,
        name: String,
        path: String
    ) -> BatchgateConfiguration.Model {
        let defaults = BatchgateConfiguration.Model(name: name, path: path)
        var model = defaults
        let positive = 1...Int.max
        model.workers = int(fields, "workers", default: defaults.workers, range: positive)
        model.threads = int(fields, "threads", default: defaults.threads, range: 0...Int.max)
        model.maxBatchTokens = int(fields, "max_batch_tokens", default: defaults.maxBatchTokens, range: positive)
        model.maxRunning = int(fields, "max_running", default: defaults.maxRunning, range: positive)
        if model.maxRunning > model.maxBatchTokens, let entry = fields["max_running"] {
            // Every running sequence decodes one token per step, so a step must have room for all of them.
            report(
                .invalidValue,
                "must not exceed max_batch_tokens (\(model.maxBatchTokens)), found \(model.maxRunning)",
                at: entry.value,
                path: entry.path
            )
        }
        model.maxQueue = int(fields, "max_queue", default: defaults.maxQueue, range: positive)
        model.queueTimeout = duration(fields, "queue_timeout", default: defaults.queueTimeout, allowZero: false)
        model.targetITL = duration(fields, "target_itl", default: defaults.targetITL, allowZero: true)
        model.kvCacheMiB = intOrAuto(fields, "kv_cache_mib", range: positive)
        model.contextLength = optionalInt(fields, "context_length", range: positive)
        model.chatTemplate = choice(fields, "chat_template", default: defaults.chatTemplate)
        model.unavailableGrace = duration(
            fields,
            "unavailable_grace",
            default: defaults.unavailableGrace,
            allowZero: true
        )
        model.prefixCache = bool(fields, "prefix_cache", default: defaults.prefixCache)
        model.prefixCacheMaxShare = fraction(fields, "prefix_cache_max_share", default: defaults.prefixCacheMaxShare)
        model.pipeline = readPipeline(fields, workers: model.workers)
        model.pipelineMicroBatches = int(
            fields, "pipeline_micro_batches", default: defaults.pipelineMicroBatches, range: 1...256)
        model.workerHeartbeatTimeout = duration(
            fields, "worker_heartbeat_timeout", default: defaults.workerHeartbeatTimeout, allowZero: false)
        model.stepTimeout = duration(fields, "step_timeout", default: defaults.stepTimeout, allowZero: false)
        return model
    }
}
