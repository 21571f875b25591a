extension FuzzTarget {
    /// The check of a canonical wire format: any bytes decode to one message or throw (the refusal is correct), and a
    /// message that decodes re-encodes to exactly the input, so no field is read loosely. `describe` names the
    /// message in a failure.
    static func roundTrip<Message>(
        _ bytes: UnsafeRawBufferPointer, decode: (UnsafeRawBufferPointer) throws -> Message,
        encode: (Message, inout [UInt8]) -> Void, describe: (Message) -> String
    ) throws(FuzzFailure) {
        guard let message = try? decode(bytes) else { return }
        var encoded: [UInt8] = []
        encode(message, &encoded)
        guard encoded.elementsEqual(bytes) else {
            throw FuzzFailure(
                "a \(describe(message)) of \(bytes.count) bytes re-encodes to \(encoded.count) different bytes")
        }
    }
}
