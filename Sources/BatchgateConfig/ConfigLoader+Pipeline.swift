import Basics
import Yams

extension NodeReader {
    static let pipelineKeys = ["host", "layers", "trusted_network"]

    /// `models[].pipeline`: a list of `{host, layers}`, the first `host: local` from layer 0, each next one starting
    /// where the one before ends, the others at `HOST:PORT`; only with one worker (each stage serves one first
    /// stage). Empty when the key is absent or has problems (reported).
    mutating func readPipeline(_ fields: Fields, workers: Int) -> [BatchgateConfiguration.PipelineStage] {
        guard let entry = fields["pipeline"], let items = list(entry.value, path: entry.path) else { return [] }
        guard items.count >= 2 else {
            report(
                .invalidValue, "a pipeline needs at least two stages (the local one and a `batchgate stage`)",
                at: entry.value, path: entry.path)
            return []
        }
        if workers != 1, let workersEntry = fields["workers"] {
            report(
                .invalidValue,
                "must be 1 for a model with a pipeline (each stage serves one first stage), found \(workers)",
                at: workersEntry.value, path: workersEntry.path)
        }
        var stages: [BatchgateConfiguration.PipelineStage] = []
        var valid = true
        for (index, item) in items.enumerated() {
            let path = "\(entry.path)[\(index)]"
            guard let stage = self.fields(item, path: path, allowed: Self.pipelineKeys),
                let hostEntry = required(stage, "host"), let host = string(hostEntry.value, path: hostEntry.path),
                let layersEntry = required(stage, "layers"),
                let text = string(layersEntry.value, path: layersEntry.path)
            else {
                valid = false
                continue
            }
            guard let layers = LayerRangeSyntax.parse(text) else {
                report(
                    .invalidValue, "expected layers as FIRST-LAST (e.g. \"0-29\"), found \"\(text)\"",
                    at: layersEntry.value, path: layersEntry.path)
                valid = false
                continue
            }
            let expectedStart = stages.last?.layers.upperBound ?? 0
            if layers.lowerBound != expectedStart {
                report(
                    .invalidValue,
                    "must start at layer \(expectedStart)"
                        + (index == 0 ? " (the first stage embeds the tokens)" : ", where the stage before ends")
                        + ", found \"\(text)\"",
                    at: layersEntry.value, path: layersEntry.path)
                valid = false
            }
            if index == 0, host != BatchgateConfiguration.PipelineStage.localHost {
                report(
                    .invalidValue, "the first stage must be `local` (this node's worker), found \"\(host)\"",
                    at: hostEntry.value, path: hostEntry.path)
                valid = false
            } else if index > 0, !Self.isHostAndPort(host) {
                report(
                    .invalidValue, "expected HOST:PORT of a `batchgate stage`, found \"\(host)\"",
                    at: hostEntry.value, path: hostEntry.path)
                valid = false
            }
            let trusted = bool(stage, "trusted_network", default: false)
            if index == 0, let trustedEntry = stage["trusted_network"] {
                report(
                    .invalidValue, "the local stage has no network link; trusted_network belongs on a later stage",
                    at: trustedEntry.keyNode, path: trustedEntry.path)
            }
            stages.append(.init(host: host, layers: layers, trustedNetwork: trusted))
        }
        return valid ? stages : []
    }

    /// Whether `text` is `HOST:PORT` (an IPv6 host in brackets) with a port from 1 to 65535.
    static func isHostAndPort(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port)
        else { return false }
        let host = text[..<colon]
        return !host.isEmpty && (!host.contains(":") || (host.hasPrefix("[") && host.hasSuffix("]")))
    }
}
