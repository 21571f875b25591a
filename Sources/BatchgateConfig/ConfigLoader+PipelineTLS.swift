import Yams

extension NodeReader {
    static let pipelineTLSKeys = ["certificate", "key", "ca"]

    /// `models[].pipeline_tls`: `{certificate, key, ca}`, each a readable file. Also checks that every later stage of
    /// `pipeline` is covered: a link is mutual TLS with these files, or plain TCP only where the stage's entry says
    /// `trusted_network: true`; a stage with neither is reported at its entry, naming both keys.
    mutating func readPipelineTLS(
        _ fields: Fields, pipeline: [BatchgateConfiguration.PipelineStage], baseDirectory: String
    ) -> BatchgateConfiguration.PipelineTLS? {
        guard let entry = fields["pipeline_tls"] else {
            reportPlainStages(fields, pipeline: pipeline)
            return nil
        }
        if fields["pipeline"] == nil {
            report(
                .invalidValue, "pipeline_tls is for the links of a `pipeline`, which this model does not have",
                at: entry.keyNode, path: entry.path)
        }
        guard let block = self.fields(entry.value, path: entry.path, allowed: Self.pipelineTLSKeys) else { return nil }
        var paths: [String] = []
        for (key, what) in [
            ("certificate", "pipeline certificate"), ("key", "pipeline key"), ("ca", "pipeline CA bundle"),
        ] {
            guard required(block, key) != nil, let path = readableFile(block, key, what: what, base: baseDirectory)
            else { continue }
            paths.append(path)
        }
        guard paths.count == 3 else { return nil }
        return .init(certificate: paths[0], key: paths[1], ca: paths[2])
    }

    /// Reports each later stage of `pipeline` whose link would be plain TCP without `trusted_network: true`.
    private mutating func reportPlainStages(_ fields: Fields, pipeline: [BatchgateConfiguration.PipelineStage]) {
        guard let entry = fields["pipeline"], !pipeline.isEmpty, let items = entry.value.sequence.map({ Array($0) }),
            items.count == pipeline.count
        else { return }
        for (index, stage) in pipeline.enumerated().dropFirst() where !stage.trustedNetwork {
            report(
                .missingKey,
                "the link to the stage at \(stage.host) has no TLS: set \(fields.path(of: "pipeline_tls")) "
                    + "(certificate, key, ca) for mutual TLS, or trusted_network: true on this stage to run it over "
                    + "plain TCP on a network you trust",
                at: items[index], path: "\(entry.path)[\(index)]")
        }
    }
}
