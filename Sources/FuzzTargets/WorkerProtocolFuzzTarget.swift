import WorkerProtocol

extension FuzzTarget {
    /// The worker-protocol decoder: any bytes decode to one message or throw `ProtocolError`, and a message that
    /// decodes re-encodes to exactly the input (the encoding is canonical, so no field is read loosely).
    public static let workerProtocol = FuzzTarget(
        name: "worker-protocol", summary: "WorkerMessage.decode, then encode again"
    ) { bytes throws(FuzzFailure) in
        let message: WorkerMessage
        do {
            message = try WorkerMessage.decode(bytes)
        } catch {
            return
        }
        var encoded: [UInt8] = []
        message.encode(into: &encoded)
        guard encoded.elementsEqual(bytes) else {
            throw FuzzFailure(
                "a \(message.kind) of \(bytes.count) bytes re-encodes to \(encoded.count) different bytes")
        }
    }
}
