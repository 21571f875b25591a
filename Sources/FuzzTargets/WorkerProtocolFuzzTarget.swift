import WorkerProtocol

extension FuzzTarget {
    /// The worker-protocol decoder: any bytes decode to one message or throw `ProtocolError`, and a message that
    /// decodes re-encodes to exactly the input (the encoding is canonical, so no field is read loosely).
    public static let workerProtocol = FuzzTarget(
        name: "worker-protocol", summary: "WorkerMessage.decode, then encode again"
    ) { bytes throws(FuzzFailure) in
        try roundTrip(
            bytes, decode: { try WorkerMessage.decode($0) }, encode: { $0.encode(into: &$1) },
            describe: { "\($0.kind)" })
    }
}
