import WorkerProtocol

extension FuzzSeeds {
    /// One stage message of each kind: a hello, a heartbeat, passes in F32 and F16 with releases, a decode pass,
    /// an answer with rows and a failed one.
    static var stageProtocol: [[UInt8]] {
        let rows = [
            StageRow(sequenceID: 9, position: 0, isOutput: false), StageRow(sequenceID: 9, position: 1, isOutput: true),
            StageRow(sequenceID: 4, position: 17, isOutput: true),
        ]
        let values: [Float] = (0..<12).map { Float($0) * 0.25 - 1.5 }
        let messages: [StageMessage] = [
            .hello(
                StageHello(
                    processID: 42, modelName: "tiny", layerCount: 30, firstLayer: 12, endLayer: 30,
                    embeddingLength: 576,
                    contextLength: 2048, kvBlocksTotal: 512, kvBlockSize: 16)),
            .forward(.heartbeat(passID: 1, width: 4)),
            .forward(
                StageForward(passID: 2, releases: [3, 5], rows: rows, hidden: HiddenRows(width: 4, values: values))),
            .forward(
                StageForward(
                    passID: 3, rows: Array(rows.suffix(1)),
                    hidden: HiddenRows(encoding: .f16, width: 4, values: [1, -2, 0.5, 65504]))),
            .answer(
                StageReturn(
                    passID: 2, stageNanoseconds: 1_500_000,
                    hidden: HiddenRows(width: 4, values: Array(values.suffix(8))))),
            .answer(StageReturn(passID: 4, failure: "kv_cache_full", hidden: HiddenRows(width: 4, values: []))),
        ]
        return messages.map { message in
            var bytes: [UInt8] = []
            message.encode(into: &bytes)
            return bytes
        }
    }
}
