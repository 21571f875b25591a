import WorkerProtocol

extension FuzzTarget {
    /// The pipeline-stage decoder (`StageMessage.decode`: hello, pass, answer, with hidden rows in F32 or F16): any
    /// bytes decode to one message or throw `ProtocolError`, and a message that decodes re-encodes to exactly the
    /// input (F16 values widen to F32 and round back exactly; NaN is refused, since it would not).
    public static let stageProtocol = FuzzTarget(
        name: "stage-protocol", summary: "StageMessage.decode, then encode again"
    ) { bytes throws(FuzzFailure) in
        try roundTrip(
            bytes, decode: { try StageMessage.decode($0) }, encode: { $0.encode(into: &$1) }, describe: { "\($0.kind)" }
        )
    }
}
